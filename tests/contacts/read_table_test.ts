import { strict as assert } from "node:assert";
import { strToU8, type Zippable, zipSync } from "fflate";
import { readTable, type Table } from "../../src/contacts/import/read-table.ts";
import type { Result } from "../../src/core/result.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const limits = { maxRows: 1000 };

/** Windows-1252 bytes of a string (only the characters the tests use). */
function cp1252(s: string): Uint8Array {
  const high: Record<string, number> = { "€": 0x80 };
  return Uint8Array.from([...s], (c) => {
    const code = high[c] ?? c.charCodeAt(0);
    assert.ok(code < 256, `not in Windows-1252: ${c}`);
    return code;
  });
}

function expectOk(r: Result<Table>): Table {
  if (!r.ok) assert.fail(`expected a table, got ${r.failure.code}: ${r.failure.detail}`);
  return r.value;
}

function expectFailure(r: Result<Table>, code: string): string {
  if (r.ok) assert.fail(`expected ${code}, got a table: ${JSON.stringify(r.value).slice(0, 200)}`);
  assert.equal(r.failure.code, code, r.failure.detail);
  return r.failure.detail;
}

// ---------------------------------------------------------------------------------------------
// CSV

Deno.test("CSV with commas", async () => {
  const t = expectOk(
    await readTable(
      utf8("name,phone,email\nAna,5511987654321,ana@example.com\nBia,5521912345678,\n"),
      {},
      limits,
    ),
  );
  assert.deepEqual(t, {
    format: "csv",
    header: ["name", "phone", "email"],
    rows: [["Ana", "5511987654321", "ana@example.com"], ["Bia", "5521912345678", ""]],
  });
});

Deno.test("CSV with semicolons, decimal commas and quoted commas (Brazilian Excel)", async () => {
  const csv = 'nome;telefone;valor\r\n"Silva, João";5511987654321;1,50\r\nMaria;5521912345678;2,30\r\n';
  const t = expectOk(await readTable(utf8(csv), { filename: "contatos.csv" }, limits));
  assert.deepEqual(t.header, ["nome", "telefone", "valor"]);
  assert.deepEqual(t.rows, [["Silva, João", "5511987654321", "1,50"], ["Maria", "5521912345678", "2,30"]]);
});

Deno.test("CSV with tabs", async () => {
  const t = expectOk(await readTable(utf8("name\tphone\nAna\t5511987654321\n"), {}, limits));
  assert.deepEqual(t.header, ["name", "phone"]);
  assert.deepEqual(t.rows, [["Ana", "5511987654321"]]);
});

Deno.test("CSV in Windows-1252 is decoded (accents, €)", async () => {
  const bytes = cp1252("nome;telefone;obs\r\nJoão;5511987654321;Preço €5\r\nConceição;5521912345678;\r\n");
  // Not valid UTF-8: the fallback is what makes this work.
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  const t = expectOk(await readTable(bytes, { filename: "contatos.csv", contentType: "text/csv" }, limits));
  assert.deepEqual(t.header, ["nome", "telefone", "obs"]);
  assert.deepEqual(t.rows, [["João", "5511987654321", "Preço €5"], ["Conceição", "5521912345678", ""]]);
});

Deno.test("CSV with a UTF-8 BOM: the first header name is clean", async () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("nome,telefone\nJoão,5511987654321\n")]);
  const t = expectOk(await readTable(bytes, {}, limits));
  assert.deepEqual(t.header, ["nome", "telefone"]);
  assert.equal(t.header[0].length, 4);
  assert.deepEqual(t.rows, [["João", "5511987654321"]]);
});

Deno.test("CSV in UTF-16 with a BOM (Excel's Unicode Text) is read", async () => {
  const text = "nome\ttelefone\r\nConceição\t5511987654321\r\n";
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) bytes[2 + i * 2] = text.charCodeAt(i);
  const t = expectOk(await readTable(bytes, { filename: "contatos.txt" }, limits));
  assert.deepEqual(t.header, ["nome", "telefone"]);
  assert.deepEqual(t.rows, [["Conceição", "5511987654321"]]);
});

Deno.test("CSV quoted fields keep embedded newlines, delimiters and quotes", async () => {
  const csv = 'name,phone,notes\n"Ana","5511987654321","line one\nline two, with comma"\n' +
    '"Bia ""B""",5521912345678,"a;b"\n';
  const t = expectOk(await readTable(utf8(csv), {}, limits));
  assert.deepEqual(t.rows, [
    ["Ana", "5511987654321", "line one\nline two, with comma"],
    ['Bia "B"', "5521912345678", "a;b"],
  ]);
});

Deno.test("CSV blank lines, delimiter-only lines and leading blank lines are skipped; cells trimmed", async () => {
  const csv = "\n\n  name ; phone ;;\n\n;;;\nAna ;  5511987654321\n   \nBia;5521912345678;;\n\n";
  const t = expectOk(await readTable(utf8(csv), {}, limits));
  assert.deepEqual(t.header, ["name", "phone"]);
  assert.deepEqual(t.rows, [["Ana", "5511987654321"], ["Bia", "5521912345678"]]);
});

Deno.test("CSV short rows are padded; values beyond the header are kept", async () => {
  const t = expectOk(await readTable(utf8("a,b,c\n1\n1,2,3,4\n"), {}, limits));
  assert.deepEqual(t.rows, [["1", "", ""], ["1", "2", "3", "4"]]);
});

Deno.test("CSV single column and CRLF line endings", async () => {
  const t = expectOk(await readTable(utf8("phone\r\n5511987654321\r\n5521912345678"), {}, limits));
  assert.deepEqual(t.header, ["phone"]);
  assert.deepEqual(t.rows, [["5511987654321"], ["5521912345678"]]);
});

Deno.test("CSV with Excel's sep= line uses that delimiter", async () => {
  const t = expectOk(await readTable(utf8("sep=;\nname;notes\nAna;a,b,c\n"), {}, limits));
  assert.deepEqual(t.header, ["name", "notes"]);
  assert.deepEqual(t.rows, [["Ana", "a,b,c"]]);
});

Deno.test("CSV wider than 1000 columns is validation_failed", async () => {
  const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(",");
  assert.match(
    expectFailure(await readTable(utf8(wide + "\n"), {}, limits), "validation_failed"),
    /1000 columns/,
  );
});

Deno.test("CSV header only: an empty table", async () => {
  const t = expectOk(await readTable(utf8("name,phone\n"), {}, limits));
  assert.deepEqual(t.header, ["name", "phone"]);
  assert.deepEqual(t.rows, []);
});

Deno.test("CSV row limit: exactly maxRows passes, one more is payload_too_large", async () => {
  const lines = ["name,phone", "", "a,1", "b,2", "", "c,3"];
  const exact = expectOk(await readTable(utf8(lines.join("\n")), {}, { maxRows: 3 }));
  assert.equal(exact.rows.length, 3);
  const detail = expectFailure(
    await readTable(utf8(lines.join("\n")), {}, { maxRows: 2 }),
    "payload_too_large",
  );
  assert.match(detail, /at most 2 rows/);
  const r = await readTable(utf8(lines.join("\n")), {}, { maxRows: 2 });
  assert.ok(!r.ok && r.failure.extensions?.limit === 2);
});

Deno.test("CSV with an unclosed quote is validation_failed", async () => {
  const detail = expectFailure(
    await readTable(utf8('name,phone\nAna,1\n"Bia,2\nCarla,3\n'), {}, limits),
    "validation_failed",
  );
  assert.match(detail, /line 3/);
});

// ---------------------------------------------------------------------------------------------
// Refusals

Deno.test("empty file is validation_failed", async () => {
  expectFailure(await readTable(new Uint8Array(), { filename: "x.csv" }, limits), "validation_failed");
});

Deno.test("file without a header row (only blank lines) is validation_failed", async () => {
  const detail = expectFailure(await readTable(utf8("\r\n  \n;;\n\n"), {}, limits), "validation_failed");
  assert.match(detail, /header/);
});

Deno.test("legacy .xls (OLE) is unsupported_media_type and says to save as .xlsx or CSV", async () => {
  const ole = new Uint8Array(1024);
  ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  const detail = expectFailure(
    await readTable(ole, { filename: "contatos.xls", contentType: "application/vnd.ms-excel" }, limits),
    "unsupported_media_type",
  );
  assert.match(detail, /\.xls\b/);
  assert.match(detail, /\.xlsx/);
  assert.match(detail, /CSV/);
  // The same container named .xlsx is an encrypted workbook: the advice differs.
  const encrypted = expectFailure(
    await readTable(ole, { filename: "contatos.xlsx" }, limits),
    "unsupported_media_type",
  );
  assert.match(encrypted, /password/);
});

Deno.test("PNG, PDF and other binaries are unsupported_media_type", async () => {
  const png = new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    0,
    0,
    0,
    13,
    0x49,
    0x48,
    0x44,
    0x52,
  ]);
  assert.match(
    expectFailure(await readTable(png, { filename: "contatos.csv" }, limits), "unsupported_media_type"),
    /PNG image.*CSV.*\.xlsx/,
  );
  expectFailure(await readTable(utf8("%PDF-1.7\n%âãÏÓ\n1 0 obj"), {}, limits), "unsupported_media_type");
  expectFailure(await readTable(new Uint8Array([1, 2, 0, 4, 5, 6]), {}, limits), "unsupported_media_type");
});

Deno.test("HTML saved as .xls is unsupported_media_type, not parsed as CSV", async () => {
  const html = utf8("<html><body><table><tr><td>name</td><td>phone</td></tr></table></body></html>");
  const detail = expectFailure(
    await readTable(html, { filename: "export.xls" }, limits),
    "unsupported_media_type",
  );
  assert.match(detail, /web page/);
});

Deno.test("a ZIP that is not a workbook is unsupported_media_type; a truncated workbook is validation_failed", async () => {
  const zip = zipSync({ "notes.txt": strToU8("hello") });
  expectFailure(await readTable(zip, { filename: "contacts.zip" }, limits), "unsupported_media_type");
  const xlsx = buildXlsx();
  expectFailure(await readTable(xlsx.subarray(0, xlsx.length - 200), {}, limits), "validation_failed");
});

// ---------------------------------------------------------------------------------------------
// XLSX

const SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

function xlsxParts(sheets: Record<string, string>, extra: Zippable = {}): Zippable {
  return {
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
        "</Relationships>",
    ),
    ...Object.fromEntries(Object.entries(sheets).map(([path, xml]) => [path, strToU8(xml)])),
    ...extra,
  };
}

/**
 * The first tab ("Contatos") is worksheets/sheet2.xml, reached through the rels with an absolute
 * target: reading sheet1.xml would be wrong. Shared strings (rich text with a phonetic run, an
 * entity), an inline string, phones stored as numbers (one in exponent form), booleans, a date and
 * a date-time by their number format, empty and missing cells, and empty rows.
 */
function buildXlsx(): Uint8Array {
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  return zipSync(xlsxParts({
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook ${SHEET_NS}><workbookPr/><sheets>
<sheet name="Contatos" sheetId="2" r:id="rId2"/><sheet name="Outra" sheetId="1" r:id="rId1"/>
</sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="${rel}/worksheet" Target="/xl/worksheets/sheet2.xml"/>
<Relationship Id="rId3" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId4" Type="${rel}/styles" Target="styles.xml"/>
</Relationships>`,
    "xl/sharedStrings.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">
<si><t>nome</t></si><si><t xml:space="preserve"> telefone </t></si><si><t>ativo</t></si>
<si><t>nascimento</t></si><si><t>obs</t></si>
<si><r><rPr><b/></rPr><t>Jo</t></r><r><t>ão</t></r><rPh sb="0" eb="1"><t>ジョ</t></rPh></si>
<si><t>Conceição &amp; Cia_x000D_</t></si>
</sst>`,
    "xl/styles.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/><numFmt numFmtId="165" formatCode="&quot;R$&quot;\\ #,##0.00"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="49"/><xf numFmtId="165"/></cellXfs>
</styleSheet>`,
    "xl/worksheets/sheet1.xml": `<worksheet ${SHEET_NS}><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row></sheetData></worksheet>`,
    "xl/worksheets/sheet2.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet ${SHEET_NS}><dimension ref="A1:E7"/><sheetData>
<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>
<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2"><v>5511987654321</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" s="1"><v>45000</v></c><c r="E2" s="3"/><c r="XFD2" s="3"/></row>
<row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve">  Maria  </t></is></c><c r="B4" s="4"><v>5.521912345678E+12</v></c><c r="C4" t="b"><v>0</v></c><c r="D4" s="2"><v>45000.5</v></c></row>
<row r="5"/>
<row r="6"><c r="A6" t="inlineStr"><is><t xml:space="preserve">   </t></is></c><c r="B6" s="3"/></row>
<row r="7"><c r="A7" t="s"><v>6</v></c><c r="B7"><v>0.30000000000000004</v></c><c r="C7" t="str"><f>IF(1,"x","y")</f><v>x</v></c><c r="E7" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>
<row r="8"><c r="B8"><v>-12.5</v></c><c r="D8" s="1"><v>1</v></c></row>
</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`,
  }));
}

Deno.test("XLSX: first tab via rels, shared/inline strings, number phones, booleans, dates, empty cells", async () => {
  const t = expectOk(await readTable(buildXlsx(), { filename: "contatos.csv" }, limits));
  assert.deepEqual(t, {
    format: "xlsx",
    header: ["nome", "telefone", "ativo", "nascimento", "obs"],
    rows: [
      ["João", "5511987654321", "true", "2023-03-15", ""],
      ["Maria", "5521912345678", "false", "2023-03-15T12:00:00", ""],
      ["Conceição & Cia", "0.3", "x", "", "#DIV/0!"],
      ["", "-12.5", "", "1900-01-01", ""],
    ],
  });
});

Deno.test("XLSX with prefixed elements (x:), a hidden first tab and no shared strings", async () => {
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="' + rel + '"';
  const xlsx = zipSync(xlsxParts({
    "xl/workbook.xml": `<x:workbook ${ns}><x:workbookPr date1904="1"/><x:sheets>` +
      '<x:sheet name="hidden" sheetId="1" state="hidden" r:id="R1"/><x:sheet name="Dados" sheetId="2" r:id="R2"/>' +
      "</x:sheets></x:workbook>",
    "xl/_rels/workbook.xml.rels":
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      `<Relationship Id="R1" Type="${rel}/worksheet" Target="worksheets/a.xml"/>` +
      `<Relationship Id="R2" Type="${rel}/worksheet" Target="worksheets/b.xml"/></Relationships>`,
    "xl/worksheets/a.xml":
      `<x:worksheet ${ns}><x:sheetData><x:row><x:c t="inlineStr"><x:is><x:t>no</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>`,
    "xl/worksheets/b.xml": `<x:worksheet ${ns}><x:sheetData>` +
      '<x:row><x:c t="inlineStr"><x:is><x:t>phone</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>name</x:t></x:is></x:c></x:row>' +
      '<x:row><x:c><x:v>5511987654321</x:v></x:c><x:c t="inlineStr"><x:is><x:t>Zé &lt;3</x:t></x:is></x:c></x:row>' +
      "</x:sheetData></x:worksheet>",
  }));
  const t = expectOk(await readTable(xlsx, {}, limits));
  assert.deepEqual(t, { format: "xlsx", header: ["phone", "name"], rows: [["5511987654321", "Zé <3"]] });
});

function bigXlsx(rows: number): Uint8Array {
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ${SHEET_NS}><sheetData>`,
    '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>phone</t></is></c>' +
    '<c r="C1" t="inlineStr"><is><t>email</t></is></c><c r="D1" t="inlineStr"><is><t>city</t></is></c>' +
    '<c r="E1" t="inlineStr"><is><t>tag</t></is></c><c r="F1" t="inlineStr"><is><t>vip</t></is></c></row>',
  ];
  for (let i = 0; i < rows; i++) {
    const r = i + 2;
    parts.push(
      `<row r="${r}" spans="1:6"><c r="A${r}" t="inlineStr"><is><t>Contato ${i}</t></is></c>` +
        `<c r="B${r}"><v>${5511900000000 + i}</v></c>` +
        `<c r="C${r}" t="inlineStr"><is><t>contato${i}@example.com</t></is></c>` +
        `<c r="D${r}" t="inlineStr"><is><t>São Paulo</t></is></c>` +
        `<c r="E${r}" t="inlineStr"><is><t>lead</t></is></c><c r="F${r}" t="b"><v>${i % 2}</v></c></row>`,
    );
  }
  parts.push("</sheetData></worksheet>");
  return zipSync(xlsxParts({
    "xl/workbook.xml":
      `<workbook ${SHEET_NS}><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels":
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" ' +
      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": parts.join("\n"),
  }, {}));
}

Deno.test("XLSX row limit: payload_too_large, stopping early", async () => {
  const xlsx = bigXlsx(5000);
  const exact = expectOk(await readTable(xlsx, {}, { maxRows: 5000 }));
  assert.equal(exact.rows.length, 5000);
  assert.deepEqual(exact.rows[4999], [
    "Contato 4999",
    "5511900004999",
    "contato4999@example.com",
    "São Paulo",
    "lead",
    "true",
  ]);
  const detail = expectFailure(await readTable(xlsx, {}, { maxRows: 10 }), "payload_too_large");
  assert.match(detail, /at most 10 rows/);
});

Deno.test("100,000 rows x 6 columns in a few seconds (CSV and XLSX)", async () => {
  const n = 100_000;
  const lines = ["name;phone;email;city;tag;vip"];
  for (let i = 0; i < n; i++) {
    lines.push(`"Contato ${i}";${5511900000000 + i};contato${i}@example.com;São Paulo;lead;${i % 2 === 1}`);
  }
  const csv = utf8(lines.join("\r\n"));
  let started = performance.now();
  const c = expectOk(await readTable(csv, {}, { maxRows: n }));
  const csvMs = performance.now() - started;
  assert.equal(c.rows.length, n);
  assert.deepEqual(c.rows[n - 1], [
    `Contato ${n - 1}`,
    String(5511900000000 + n - 1),
    `contato${n - 1}@example.com`,
    "São Paulo",
    "lead",
    "true",
  ]);

  const xlsx = bigXlsx(n);
  started = performance.now();
  const x = expectOk(await readTable(xlsx, {}, { maxRows: n }));
  const xlsxMs = performance.now() - started;
  assert.equal(x.rows.length, n);
  assert.deepEqual(x.rows[n - 1], c.rows[n - 1]);

  // deno-lint-ignore no-console
  console.log(
    `100k rows: csv ${(csv.length / 1e6).toFixed(1)} MB in ${csvMs.toFixed(0)} ms, ` +
      `xlsx ${(xlsx.length / 1e6).toFixed(1)} MB in ${xlsxMs.toFixed(0)} ms`,
  );
  assert.ok(csvMs < 10_000 && xlsxMs < 10_000, `too slow: csv ${csvMs} ms, xlsx ${xlsxMs} ms`);
});
