/**
 * An uploaded contacts file (bytes) → a table of strings: header row and data rows.
 *
 * Format: decided from the bytes (a ZIP holding a workbook is XLSX; text is CSV; anything else —
 * legacy .xls, PDF, images, other binaries — is refused with a sentence the user can act on). The
 * filename and content type only pick the wording of a refusal where the bytes alone are ambiguous
 * (an OLE file named .xlsx is a password-protected workbook, not an .xls).
 *
 * CSV: papaparse, which guesses the delimiter among `,` `;` and tab (Brazilian Excel writes `;`)
 * and handles quoted fields with delimiters and newlines. Text is UTF-8 when it is valid UTF-8,
 * otherwise Windows-1252 (what Excel writes for "CSV (separated by semicolons)" on a Portuguese
 * Windows); UTF-16 with a BOM (Excel's "Unicode Text") is read as well.
 *
 * XLSX: a small reader of our own rather than a library. `read-excel-file` (9.3.17) was the
 * candidate: its `/universal` entry takes an ArrayBuffer without Node streams, but it unzips with
 * fflate's asynchronous `unzip`, which hands every entry of 512 KB or more (the sheet of a few
 * thousand rows) to a Web Worker — on Deno that resolves to fflate's Node build and spawns a
 * `worker_threads` eval worker, and workerd has no `Worker` at all, so large files fail on
 * Cloudflare (tried under miniflare: `ReferenceError: Worker is not defined` on a 20,000-row
 * sheet; it also threw on cells without the optional `r` attribute). It also materialises the
 * whole sheet (no stopping at the row limit) and returns numbers as JS numbers. What a contacts
 * import needs is a narrow slice of SpreadsheetML, so this module reads the ZIP central directory
 * itself, inflates the parts it needs with the platform's `DecompressionStream("deflate-raw")`
 * (native, streaming, present in Deno and workerd; no bundle cost) and scans the XML as it
 * streams: first visible worksheet only (resolved through workbook.xml and its rels), shared and
 * inline strings, booleans, numbers as written (15 significant digits, never an exponent for
 * integers: a phone 5511987654321 stays "5511987654321"), dates by their number format as
 * `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`. Parsing stops as soon as the row limit is passed; memory
 * is the rows kept, the shared strings and one chunk. Other binaries (other signatures, or a NUL
 * byte in the first 64 KB) are refused, and so are HTML or XML files saved with an .xls name,
 * which some systems export.
 *
 * Both formats: completely empty rows are skipped; the first non-empty row is the header; cells
 * are trimmed strings; trailing empty header cells are dropped; every row is padded with "" to the
 * header's length, and keeps cells beyond it only when they hold a value.
 */
// @ts-types="./papaparse.d.ts"
import Papa from "papaparse";
import { fail, ok, type Result } from "../../core/result.ts";

export interface Table {
  format: "csv" | "xlsx";
  header: string[];
  rows: string[][];
  /**
   * With `lineNumbers`: where each row is in the file, for reports a person checks against it —
   * its line in a CSV (the first, for a quoted field over several lines), its row number in a
   * sheet. Not `index + 2`: empty rows and a `sep=` line are skipped.
   */
  lines?: number[];
}

export interface ReadTableHint {
  filename?: string;
  contentType?: string;
}

export interface ReadTableLimits {
  /** Data rows (header excluded, empty rows not counted) above which the file is refused. */
  maxRows: number;
  /** Also answer `lines`. */
  lineNumbers?: boolean;
}

const UPLOAD_CSV_OR_XLSX = "Upload the contacts as a CSV file or an Excel workbook (.xlsx).";
const SAVE_AS = "open it in Excel or Google Sheets, save it as “Excel Workbook (.xlsx)” or “CSV UTF-8”, " +
  "and upload it again.";

/** Columns a row may use; a contacts file far wider than this is not a contacts file. */
const MAX_COLUMNS = 1000;

/** A bound on any one decompressed part of a workbook: beyond it the file is refused, not read. */
const MAX_PART_BYTES = 256 * 1024 * 1024;

export async function readTable(
  bytes: Uint8Array,
  hint: ReadTableHint,
  limits: ReadTableLimits,
): Promise<Result<Table>> {
  if (bytes.length === 0) return fail("validation_failed", "The file is empty. " + UPLOAD_CSV_OR_XLSX);
  const sniffed = sniff(bytes, hint);
  if (sniffed.kind === "unsupported") return fail("unsupported_media_type", sniffed.detail);
  if (sniffed.kind === "zip") return await readXlsx(bytes, hint, limits);
  return readCsv(sniffed.text, limits);
}

// ---------------------------------------------------------------------------------------------
// Format detection

type Sniffed = { kind: "zip" } | { kind: "text"; text: string } | { kind: "unsupported"; detail: string };

const startsWith = (bytes: Uint8Array, sig: readonly number[], at = 0): boolean =>
  bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const binarySignatures: Array<[number[], string, number?]> = [
  [ascii("%PDF"), "a PDF document"],
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [ascii("GIF87a"), "a GIF image"],
  [ascii("GIF89a"), "a GIF image"],
  [ascii("WEBP"), "a WebP image", 8],
  [ascii("ftyp"), "a video or image (MP4/HEIC)", 4],
  [[0x49, 0x49, 0x2a, 0x00], "a TIFF image"],
  [[0x4d, 0x4d, 0x00, 0x2a], "a TIFF image"],
  [[0x1f, 0x8b], "a gzip archive"],
  [[...ascii("Rar!"), 0x1a, 0x07], "a RAR archive"],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], "a 7-Zip archive"],
  [ascii("{\\rtf"), "a rich-text (RTF) document"],
];

function extensionOf(hint: ReadTableHint): string {
  const m = /\.([a-z0-9]+)\s*$/i.exec(hint.filename ?? "");
  return m ? m[1].toLowerCase() : "";
}

function sniff(bytes: Uint8Array, hint: ReadTableHint): Sniffed {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return { kind: "zip" };
  if (startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return { kind: "unsupported", detail: `The file is an empty ZIP archive. ${UPLOAD_CSV_OR_XLSX}` };
  }
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    const ext = extensionOf(hint);
    const type = (hint.contentType ?? "").toLowerCase();
    if (ext === "xlsx" || type.includes("spreadsheetml")) {
      // Excel stores an encrypted .xlsx in an OLE container: same magic as .xls.
      return {
        kind: "unsupported",
        detail: "This workbook is password-protected and cannot be read. Remove the password " +
          "(File → Info → Protect Workbook → Encrypt with Password), save it, and upload it again — " +
          "or upload it as CSV.",
      };
    }
    if (ext === "doc" || ext === "ppt" || type.includes("msword") || type.includes("powerpoint")) {
      return { kind: "unsupported", detail: `This is a Word or PowerPoint document. ${UPLOAD_CSV_OR_XLSX}` };
    }
    return {
      kind: "unsupported",
      detail: "Legacy Excel 97–2003 workbooks (.xls) are not supported: " + SAVE_AS,
    };
  }
  for (const [sig, what, at] of binarySignatures) {
    if (startsWith(bytes, sig, at ?? 0)) {
      return { kind: "unsupported", detail: `The file is ${what}, not a spreadsheet. ${UPLOAD_CSV_OR_XLSX}` };
    }
  }

  let text: string;
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    // Excel's "Unicode Text (*.txt)": UTF-16 with a BOM, tab-separated.
    text = new TextDecoder(bytes[0] === 0xff ? "utf-16le" : "utf-16be").decode(bytes);
  } else {
    const probe = bytes.subarray(0, 64 * 1024);
    if (probe.includes(0)) {
      return {
        kind: "unsupported",
        detail: `The file is not a text (CSV) file nor an Excel workbook. ${UPLOAD_CSV_OR_XLSX}`,
      };
    }
    text = decodeText(bytes);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const head = text.slice(0, 2048).trimStart().toLowerCase();
  if (head.startsWith("<")) {
    const fromXls = extensionOf(hint) === "xls";
    if (head.includes("urn:schemas-microsoft-com:office:spreadsheet")) {
      return {
        kind: "unsupported",
        detail: "This is an “XML Spreadsheet 2003” file, which is not supported: " + SAVE_AS,
      };
    }
    if (/^<(!doctype html|html|table|meta|head|body)\b/.test(head) || head.includes("<html")) {
      return {
        kind: "unsupported",
        detail: (fromXls
          ? "This .xls file is really a web page (HTML), as some systems export it. "
          : "The file is a web page (HTML), not a spreadsheet. ") + "To use it, " + SAVE_AS,
      };
    }
    return {
      kind: "unsupported",
      detail: `The file is an XML document, not a spreadsheet. ${UPLOAD_CSV_OR_XLSX}`,
    };
  }
  return { kind: "text", text };
}

/** UTF-8 when the bytes are valid UTF-8 (BOM or not), otherwise Windows-1252. */
function decodeText(bytes: Uint8Array): string {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(3));
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared row handling

const tooManyRows = (maxRows: number): Result<Table> =>
  fail(
    "payload_too_large",
    `The file has more than ${maxRows} contact rows; upload at most ${maxRows} rows per file ` +
      "(split it into several files).",
    { extensions: { limit: maxRows } },
  );

const noHeader = (): Result<Table> =>
  fail(
    "validation_failed",
    "The file has no header row: its first non-empty row must name the columns (for example " +
      "“name” and “phone”).",
  );

/** Collects rows: skips empty ones, takes the first as header, counts the rest against the limit. */
class RowSink {
  header: string[] | null = null;
  readonly rows: string[][] = [];
  readonly lines: number[] = [];
  overflow = false;
  tooWide = false;

  constructor(private readonly maxRows: number, private readonly lineNumbers = false) {}

  /** False once the limit is passed: the caller stops reading. `cells` must be trimmed. */
  push(cells: string[], line = 0): boolean {
    let used = cells.length;
    while (used > 0 && cells[used - 1] === "") used--;
    if (used === 0) return true;
    if (used > MAX_COLUMNS) {
      this.tooWide = true;
      return false;
    }
    if (this.header === null) {
      this.header = cells.length === used ? cells : cells.slice(0, used);
      return true;
    }
    if (this.rows.length >= this.maxRows) {
      this.overflow = true;
      return false;
    }
    const width = this.header.length;
    if (cells.length < width) {
      for (let i = cells.length; i < width; i++) cells.push("");
    } else if (cells.length > width) {
      cells.length = Math.max(used, width);
    }
    this.rows.push(cells);
    if (this.lineNumbers) this.lines.push(line);
    return true;
  }

  result(format: Table["format"]): Result<Table> {
    if (this.overflow) return tooManyRows(this.maxRows);
    if (this.tooWide) {
      return fail(
        "validation_failed",
        `The file has rows with more than ${MAX_COLUMNS} columns; keep only the contact columns.`,
      );
    }
    if (this.header === null) return noHeader();
    const table: Table = { format, header: this.header, rows: this.rows };
    if (this.lineNumbers) table.lines = this.lines;
    return ok(table);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

/** Line breaks (CRLF, LF or a lone CR) in `s` between `from` and `to`. */
function lineBreaks(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

function readCsv(text: string, limits: ReadTableLimits): Result<Table> {
  // Excel honours a first line `sep=;` naming the delimiter; so do we, and drop it.
  let delimiter = "";
  const sep = /^sep=(.)[ \t]*(\r\n|\n|\r|$)/i.exec(text);
  if (sep) {
    delimiter = sep[1];
    text = text.slice(sep[0].length);
  }

  const sink = new RowSink(limits.maxRows, limits.lineNumbers);
  // Line breaks before `counted` in the file (the `sep=` line included), for the rows' line numbers.
  let breaks = sep ? 1 : 0;
  let counted = 0;
  let unterminatedAt = -1;
  Papa.parse<string[]>(text, {
    delimiter,
    delimitersToGuess: [",", ";", "\t"],
    skipEmptyLines: "greedy",
    step(results, parser) {
      for (const e of results.errors) {
        if (e.code === "MissingQuotes" && unterminatedAt < 0) unterminatedAt = e.index ?? 0;
      }
      const raw = results.data;
      const cells = new Array<string>(raw.length);
      for (let i = 0; i < raw.length; i++) cells[i] = raw[i].trim();
      // A file of nothing but `;;;` lines leaves no row to guess the delimiter from: papaparse falls
      // back to "," and hands such a line over as one cell. It is an empty line all the same.
      if (cells.length === 1 && /^[,;\t ]+$/.test(cells[0])) return;
      let line = 0;
      if (limits.lineNumbers) {
        // The cursor is past the row and its line break; skipped empty lines came before it.
        const end = results.meta.cursor;
        breaks += lineBreaks(text, counted, end);
        counted = end;
        const last = text.charCodeAt(end - 1);
        line = 1 + breaks - (last === 10 || last === 13 ? 1 : 0);
        for (const cell of raw) line -= lineBreaks(cell, 0, cell.length);
      }
      if (!sink.push(cells, line)) parser.abort();
    },
  });
  if (unterminatedAt >= 0 && !sink.overflow && !sink.tooWide) {
    let line = 1;
    for (let i = text.indexOf("\n"); i >= 0 && i < unterminatedAt; i = text.indexOf("\n", i + 1)) line++;
    return fail(
      "validation_failed",
      `The CSV has a quoted field that is never closed (a " opened on or before line ${line} ` +
        "has no closing quote); fix the quotes or export the file again.",
    );
  }
  return sink.result("csv");
}

// ---------------------------------------------------------------------------------------------
// XLSX: ZIP container

class BadWorkbook extends Error {
  constructor(
    message: string,
    readonly code: "validation_failed" | "payload_too_large" = "validation_failed",
  ) {
    super(message);
    this.name = "BadWorkbook";
  }
}

const tooLarge = "The workbook holds too much data to import at once; split it into smaller files.";
const DAMAGED = "The Excel file could not be read; it may be damaged. To fix it, " + SAVE_AS;

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The central directory, by lower-cased part name (OPC part names are case-insensitive). */
function readCentralDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));

  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (u32(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new BadWorkbook(DAMAGED);
  let count = u16(eocd + 10);
  let offset = u32(eocd + 16);
  if ((count === 0xffff || offset === 0xffffffff) && eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const z64 = u64(eocd - 20 + 8);
    if (u32(z64) !== 0x06064b50) throw new BadWorkbook(DAMAGED);
    count = u64(z64 + 32);
    offset = u64(z64 + 48);
  }

  const names = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let at = offset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || u32(at) !== 0x02014b50) throw new BadWorkbook(DAMAGED);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    const entry: ZipEntry = {
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)).replaceAll("\\", "/"),
      flags: u16(at + 8),
      method: u16(at + 10),
      compressedSize: u32(at + 20),
      size: u32(at + 24),
      localOffset: u32(at + 42),
    };
    // ZIP64: the real values follow in the extra field, in this order, for those saturated.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(extra);
      const length = u16(extra + 2);
      if (id === 0x0001) {
        let p = extra + 4;
        if (entry.size === 0xffffffff) entry.size = u64((p += 8) - 8);
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = u64((p += 8) - 8);
        if (entry.localOffset === 0xffffffff) entry.localOffset = u64(p);
      }
      extra += 4 + length;
    }
    entries.set(entry.name.replace(/^\//, "").toLowerCase(), entry);
    at = extraEnd + commentLength;
  }
  return entries;
}

/** The decompressed bytes of an entry, in chunks; stops inflating when the consumer stops. */
async function* entryChunks(bytes: Uint8Array, entry: ZipEntry): AsyncGenerator<Uint8Array> {
  if (entry.flags & 1) {
    throw new BadWorkbook(
      "This workbook is encrypted and cannot be read: remove its password, save it, and upload it again.",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) throw new BadWorkbook(DAMAGED);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new BadWorkbook(DAMAGED);
  const data = bytes.subarray(start, end);
  const slice = 64 * 1024;

  if (entry.method === 0) {
    if (data.length > MAX_PART_BYTES) throw new BadWorkbook(tooLarge, "payload_too_large");
    for (let i = 0; i < data.length; i += slice) yield data.subarray(i, i + slice);
    return;
  }
  if (entry.method !== 8) {
    throw new BadWorkbook(
      `The workbook uses a compression this reader does not support. To fix it, ${SAVE_AS}`,
    );
  }
  let fed = 0;
  const input = new ReadableStream<BufferSource>({
    pull(controller) {
      if (fed >= data.length) {
        controller.close();
        return;
      }
      controller.enqueue(data.slice(fed, fed + slice));
      fed += slice;
    },
  }, { highWaterMark: 0 });
  const reader = input.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  let total = 0;
  let finished = false;
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch {
        throw new BadWorkbook(DAMAGED);
      }
      if (next.done) break;
      total += next.value.length;
      if (total > MAX_PART_BYTES) throw new BadWorkbook(tooLarge, "payload_too_large");
      yield next.value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// XLSX: streaming XML scan (the narrow SpreadsheetML subset; no DTDs, no CDATA)

/** Called per tag: local name (prefix dropped), raw attribute text, closing, self-closing. */
type TagHandler = (name: string, attrs: string, closing: boolean, selfClosing: boolean) => boolean | void;

/**
 * Streams an entry's XML through `onTag` and, while `wantText()` is true, its text through `onText`
 * (possibly in pieces). `onTag` returning true stops the scan.
 */
async function scanXml(
  chunks: AsyncGenerator<Uint8Array>,
  onTag: TagHandler,
  wantText: () => boolean,
  onText: (raw: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let carry = "";
  // Everything before the last "<" of the buffer is complete: whole tags and whole text runs.
  const scan = (s: string, upTo: number): boolean => {
    let pos = 0;
    while (pos < upTo) {
      const lt = s.indexOf("<", pos);
      if (lt < 0 || lt >= upTo) {
        if (wantText()) onText(s.slice(pos, upTo));
        return false;
      }
      if (lt > pos && wantText()) onText(s.slice(pos, lt));
      const gt = s.indexOf(">", lt);
      if (gt < 0) return false; // cannot happen before the last "<"; tolerate at the very end
      pos = gt + 1;
      let c = s.charCodeAt(lt + 1);
      if (c === 63 /* ? */ || c === 33 /* ! */) continue;
      const closing = c === 47; /* / */
      const selfClosing = s.charCodeAt(gt - 1) === 47;
      let i = closing ? lt + 2 : lt + 1;
      const nameStart = i;
      let colon = -1;
      const nameEndLimit = selfClosing ? gt - 1 : gt;
      for (; i < nameEndLimit; i++) {
        c = s.charCodeAt(i);
        if (c === 32 || c === 9 || c === 10 || c === 13) break;
        if (c === 58 /* : */) colon = i;
      }
      const name = s.slice(colon >= 0 ? colon + 1 : nameStart, i);
      if (onTag(name, s.slice(i, nameEndLimit), closing, selfClosing)) return true;
    }
    return false;
  };

  // Leaving the loop early returns the generator, which stops the decompression.
  let stopped = false;
  for await (const chunk of chunks) {
    const s = carry + decoder.decode(chunk, { stream: true });
    const lastLt = s.lastIndexOf("<");
    if (lastLt <= 0) {
      carry = s;
      continue;
    }
    if (scan(s, lastLt)) {
      stopped = true;
      break;
    }
    carry = s.slice(lastLt);
  }
  if (!stopped) {
    const rest = carry + decoder.decode();
    scan(rest, rest.length);
  }
}

const attrPattern = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function parseAttrs(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  attrPattern.lastIndex = 0;
  for (let m = attrPattern.exec(raw); m; m = attrPattern.exec(raw)) {
    out[m[1]] = decodeXml(m[2] ?? m[3]);
  }
  return out;
}

const namedEntities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML entities, then Excel's `_xHHHH_` escapes of control characters (`_x005F_` is a literal "_"). */
function decodeXml(raw: string): string {
  let s = raw;
  if (s.includes("&")) {
    s = s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) => {
      if (e[0] === "#") {
        const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return namedEntities[e] ?? whole;
    });
  }
  if (s.includes("_x")) {
    s = s.replace(/_x([0-9a-fA-F]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// XLSX: workbook structure

function partPath(base: string, target: string): string {
  if (target.startsWith("/")) return target.slice(1);
  const parts = base === "" ? [] : base.split("/");
  for (const p of target.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== "." && p !== "") parts.push(p);
  }
  return parts.join("/");
}

const dirOf = (path: string): string => path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";

interface Relationship {
  type: string;
  target: string;
}

async function readRels(bytes: Uint8Array, entries: Map<string, ZipEntry>, relsPath: string, base: string) {
  const rels = new Map<string, Relationship>();
  const entry = entries.get(relsPath.toLowerCase());
  if (!entry) return rels;
  await scanXml(
    entryChunks(bytes, entry),
    (name, raw, closing) => {
      if (closing || name !== "Relationship") return;
      const a = parseAttrs(raw);
      if (a.Id && a.Target && a.TargetMode !== "External") {
        rels.set(a.Id, { type: a.Type ?? "", target: partPath(base, a.Target) });
      }
    },
    () => false,
    () => {},
  );
  return rels;
}

interface Workbook {
  sheetPath: string;
  stylesPath?: string;
  sharedStringsPath?: string;
  date1904: boolean;
}

function notAWorkbook(entries: Map<string, ZipEntry>, hint: ReadTableHint): string {
  if (entries.has("xl/workbook.bin")) {
    return "Excel binary workbooks (.xlsb) are not supported: " + SAVE_AS;
  }
  if (entries.has("mimetype") && entries.has("content.xml")) {
    return "OpenDocument spreadsheets (.ods) are not supported: " + SAVE_AS;
  }
  if (entries.has("word/document.xml") || entries.has("ppt/presentation.xml")) {
    return `This is a Word or PowerPoint document, not a spreadsheet. ${UPLOAD_CSV_OR_XLSX}`;
  }
  if (extensionOf(hint) === "xlsx" || (hint.contentType ?? "").includes("spreadsheetml")) {
    return "The file is named like an Excel workbook but does not contain one. To fix it, " + SAVE_AS;
  }
  return `The file is a ZIP archive, not a spreadsheet. ${UPLOAD_CSV_OR_XLSX}`;
}

async function readWorkbook(
  bytes: Uint8Array,
  entries: Map<string, ZipEntry>,
): Promise<Workbook | "none" | "no-sheet"> {
  const rootRels = await readRels(bytes, entries, "_rels/.rels", "");
  let workbookPath = "xl/workbook.xml";
  for (const rel of rootRels.values()) {
    if (rel.type.endsWith("/officeDocument")) workbookPath = rel.target;
  }
  const workbookEntry = entries.get(workbookPath.toLowerCase());
  if (!workbookEntry || !/\.xml$/i.test(workbookPath)) return "none";

  const sheets: Array<{ id: string; hidden: boolean }> = [];
  let date1904 = false;
  await scanXml(
    entryChunks(bytes, workbookEntry),
    (name, raw, closing) => {
      if (closing) return;
      if (name === "workbookPr") {
        const v = parseAttrs(raw).date1904;
        date1904 = v === "1" || v === "true";
      } else if (name === "sheet") {
        const a = parseAttrs(raw);
        const idKey = Object.keys(a).find((k) => k === "id" || k.endsWith(":id"));
        if (idKey) sheets.push({ id: a[idKey], hidden: (a.state ?? "visible") !== "visible" });
      }
    },
    () => false,
    () => {},
  );

  const base = dirOf(workbookPath);
  const rels = await readRels(
    bytes,
    entries,
    `${base ? base + "/" : ""}_rels/${workbookPath.slice(base ? base.length + 1 : 0)}.rels`,
    base,
  );
  const worksheets = sheets
    .map((s) => ({ ...s, rel: rels.get(s.id) }))
    .filter((s) => s.rel?.type.endsWith("/worksheet") && entries.has(s.rel.target.toLowerCase()));
  const first = worksheets.find((s) => !s.hidden) ?? worksheets[0];
  if (!first) return "no-sheet";
  let stylesPath: string | undefined;
  let sharedStringsPath: string | undefined;
  for (const rel of rels.values()) {
    if (rel.type.endsWith("/styles")) stylesPath = rel.target;
    if (rel.type.endsWith("/sharedStrings")) sharedStringsPath = rel.target;
  }
  return { sheetPath: first.rel!.target, stylesPath, sharedStringsPath, date1904 };
}

async function readSharedStrings(bytes: Uint8Array, entry: ZipEntry | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (!entry) return strings;
  let inSi = false;
  let inPhonetic = false;
  let inT = false;
  let text = "";
  await scanXml(
    entryChunks(bytes, entry),
    (name, _raw, closing, selfClosing) => {
      if (name === "si") {
        if (selfClosing) strings.push("");
        else if (!closing) {
          inSi = true;
          text = "";
        } else {
          inSi = false;
          strings.push(decodeXml(text));
        }
      } else if (name === "rPh") {
        if (!selfClosing) inPhonetic = !closing;
      } else if (name === "t" && inSi && !inPhonetic && !selfClosing) {
        inT = !closing;
      }
    },
    () => inT,
    (raw) => {
      text += raw;
    },
  );
  return strings;
}

/** Built-in number formats that show a date or time (ECMA-376 §18.8.30, plus the CJK locale ids). */
const builtinDateFormats = new Set<number>();
for (const [from, to] of [[14, 22], [27, 36], [45, 47], [50, 58]]) {
  for (let id = from; id <= to; id++) builtinDateFormats.add(id);
}

function isDateFormatCode(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, "")
    .replace(/\\./g, "")
    .replace(/[_*]./g, "")
    .replace(/\[[^\]]*\]/g, "");
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** Which cell style indexes (`<c s>`) format their number as a date. */
async function readDateStyles(bytes: Uint8Array, entry: ZipEntry | undefined): Promise<boolean[]> {
  const styles: boolean[] = [];
  if (!entry) return styles;
  const customDate = new Map<number, boolean>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  await scanXml(
    entryChunks(bytes, entry),
    (name, raw, closing, selfClosing) => {
      if (name === "numFmt" && !closing) {
        const a = parseAttrs(raw);
        customDate.set(Number(a.numFmtId), isDateFormatCode(a.formatCode ?? ""));
      } else if (name === "cellXfs" && !selfClosing) {
        inCellXfs = !closing;
      } else if (name === "xf" && inCellXfs && !closing) {
        xfFormats.push(Number(parseAttrs(raw).numFmtId ?? 0));
      }
    },
    () => false,
    () => {},
  );
  for (const id of xfFormats) styles.push(customDate.get(id) ?? builtinDateFormats.has(id));
  return styles;
}

// ---------------------------------------------------------------------------------------------
// XLSX: cell values

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;

/** An Excel serial date as `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` when it has a time of day. */
function serialToIso(serial: number, date1904: boolean): string {
  // 1900 system: serial 1 is 1900-01-01, and Excel counts a 1900-02-29 that never was (serial 60).
  const day = date1904 ? serial + 1462 : serial < 60 ? serial + 1 : serial;
  const seconds = Math.round(day * 86400);
  const d = new Date(Date.UTC(1899, 11, 30) + seconds * 1000);
  if (Number.isNaN(d.getTime())) return String(serial);
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (seconds % 86400 === 0) return date;
  return `${date}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** A number as Excel shows it in a General cell: integers in full, others to 15 significant digits. */
function numberText(v: string): string {
  if (/^-?\d+$/.test(v)) return v.replace(/^(-?)0+(?=\d)/, "$1");
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  return String(Number(n.toPrecision(15)));
}

function cellText(
  type: string,
  style: number,
  v: string,
  inline: string | null,
  shared: string[],
  dateStyles: boolean[],
  date1904: boolean,
): string {
  switch (type) {
    case "s":
      return shared[Number(v)] ?? "";
    case "inlineStr":
      return inline ?? v;
    case "str":
    case "e":
      return v;
    case "b":
      return v === "1" || v === "true" ? "true" : v === "0" || v === "false" ? "false" : v;
    case "d": {
      const m = /^(\d{4}-\d{2}-\d{2})(?:T00:00(?::00(?:\.0+)?)?(?:Z)?)?$/.exec(v);
      return m ? m[1] : v;
    }
    default: {
      if (inline !== null) return inline;
      if (v === "") return "";
      if (dateStyles[style]) {
        const serial = Number(v);
        if (Number.isFinite(serial)) return serialToIso(serial, date1904);
      }
      return numberText(v);
    }
  }
}

/** "AB12" → 27 (zero-based column), or -1. */
function columnIndex(ref: string): number {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  return i === 0 ? -1 : col - 1;
}

async function readXlsx(
  bytes: Uint8Array,
  hint: ReadTableHint,
  limits: ReadTableLimits,
): Promise<Result<Table>> {
  try {
    const entries = readCentralDirectory(bytes);
    const workbook = await readWorkbook(bytes, entries);
    if (workbook === "none") return fail("unsupported_media_type", notAWorkbook(entries, hint));
    if (workbook === "no-sheet") {
      return fail("validation_failed", "The workbook has no worksheet with data. " + UPLOAD_CSV_OR_XLSX);
    }
    const sheetEntry = entries.get(workbook.sheetPath.toLowerCase())!;
    const shared = await readSharedStrings(
      bytes,
      workbook.sharedStringsPath ? entries.get(workbook.sharedStringsPath.toLowerCase()) : undefined,
    );
    const dateStyles = await readDateStyles(
      bytes,
      workbook.stylesPath ? entries.get(workbook.stylesPath.toLowerCase()) : undefined,
    );

    const sink = new RowSink(limits.maxRows, limits.lineNumbers);
    let row: string[] = [];
    let rowNumber = 0;
    let nextCol = 0;
    let cellCol = 0;
    let cellType = "";
    let cellStyle = 0;
    let v = "";
    let inline: string | null = null;
    let inV = false;
    let inIs = false;
    let inPhonetic = false;
    let inT = false;
    let text = "";
    const put = (col: number, value: string) => {
      // Styled but empty cells can reach column XFD; rows are padded to the header's width later.
      if (value === "") return;
      while (row.length < col) row.push("");
      row[col] = value;
    };

    await scanXml(
      entryChunks(bytes, sheetEntry),
      (name, raw, closing, selfClosing) => {
        switch (name) {
          case "row":
            if (!closing) {
              row = [];
              nextCol = 0;
              // The number the sheet shows; `r` is optional, and then it is the next one.
              const r = /(?:^|\s)r\s*=\s*["'](\d+)["']/.exec(raw);
              rowNumber = r ? Number(r[1]) : rowNumber + 1;
            }
            if (closing || selfClosing) {
              for (let i = 0; i < row.length; i++) row[i] = row[i] === undefined ? "" : row[i].trim();
              return !sink.push(row, rowNumber);
            }
            return;
          case "c": {
            if (!closing) {
              const a = parseAttrs(raw);
              const col = a.r ? columnIndex(a.r) : -1;
              cellCol = col >= 0 ? col : nextCol;
              nextCol = cellCol + 1;
              cellType = a.t ?? "n";
              cellStyle = a.s ? Number(a.s) : 0;
              v = "";
              inline = null;
            }
            if (closing || selfClosing) {
              put(cellCol, cellText(cellType, cellStyle, v, inline, shared, dateStyles, workbook.date1904));
            }
            return;
          }
          case "v":
            if (!selfClosing) {
              inV = !closing;
              if (closing) v = decodeXml(text);
              text = "";
            }
            return;
          case "is":
            if (!selfClosing) {
              inIs = !closing;
              if (!closing) inline = "";
            } else inline = "";
            return;
          case "rPh":
            if (!selfClosing) inPhonetic = !closing;
            return;
          case "t":
            if (inIs && !inPhonetic && !selfClosing) {
              inT = !closing;
              if (closing) inline = (inline ?? "") + decodeXml(text);
              text = "";
            }
            return;
        }
      },
      () => inV || inT,
      (raw) => {
        text += raw;
      },
    );
    return sink.result("xlsx");
  } catch (e) {
    if (e instanceof BadWorkbook) return fail(e.code, e.message);
    // A damaged ZIP can point reads outside the file.
    if (e instanceof RangeError) return fail("validation_failed", DAMAGED);
    throw e;
  }
}
