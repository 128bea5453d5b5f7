import { strict as assert } from "node:assert";
import { inflateSync } from "node:zlib";
import { PDFDocument } from "pdf-lib";
import { extractText, getDocumentProxy } from "unpdf";
import { csvCell, csvRow } from "../../src/core/csv.ts";
import type { Transcript, TranscriptEntry } from "../../src/conversations/transcript/transcript.ts";
import { isoInZone } from "../../src/conversations/transcript/transcript.ts";
import { toWinAnsi, transcriptPdf } from "../../src/conversations/transcript/transcript-pdf.ts";
import { transcriptCsv } from "../../src/conversations/transcript/transcript-csv.ts";
import { transcriptJson } from "../../src/conversations/transcript/transcript-json.ts";

const START = Date.parse("2024-03-05T17:30:00Z"); // 14:30 in São Paulo
const LONG_URL = "https://files.example.com/" + "segment-without-spaces/".repeat(12) + "a".repeat(200) +
  "?token=" + "x".repeat(120);
const NOTE_TEXT = "Cliente VIP: verificar a fatura de março antes de responder.";

function transcript(messages: number, locale: Transcript["locale"] = "pt-BR"): Transcript {
  const at = (i: number) => new Date(START + i * 60_000);
  const entries: TranscriptEntry[] = [
    {
      kind: "message",
      id: "m-first",
      at: at(0),
      direction: "inbound",
      sender: "Maria Conceição",
      senderType: "contact",
      type: "text",
      text: "Olá, não consigo acessar a internet. Ação urgente!",
      media: null,
      status: "received",
    },
    {
      kind: "message",
      id: "m-emoji",
      at: at(1),
      direction: "inbound",
      sender: "Maria Conceição",
      senderType: "contact",
      type: "text",
      text: "Obrigada 😊👍 pela ajuda, 日本 “aspas” – já já… 👨‍👩‍👧",
      media: null,
      status: "received",
    },
    {
      kind: "message",
      id: "m-url",
      at: at(2),
      direction: "outbound",
      sender: "João Atendente",
      senderType: "agent",
      type: "text",
      text: `Veja o manual: ${LONG_URL}\n\tTente de novo, por favor.`,
      media: null,
      status: "read",
    },
    { kind: "note", id: "n-1", at: at(3), author: "João Atendente", text: NOTE_TEXT },
    {
      kind: "message",
      id: "m-image",
      at: at(4),
      direction: "inbound",
      sender: "Maria Conceição",
      senderType: "contact",
      type: "image",
      text: null,
      media: {
        kind: "image",
        id: "wamid-media-1",
        url: "https://cdn.example.com/media/1.jpg",
        filename: "roteador.jpg",
        caption: "Foto do roteador, luz vermelha",
        mime_type: "image/jpeg",
      },
      status: "received",
    },
    {
      kind: "message",
      id: "m-doc",
      at: at(5),
      direction: "outbound",
      sender: "Bot",
      senderType: "bot",
      type: "document",
      text: "Segue o contrato",
      media: { kind: "document", id: "doc-9", filename: "contrato.pdf", mime_type: "application/pdf" },
      status: "failed",
    },
    {
      kind: "message",
      id: "m-csv",
      at: at(6),
      direction: "outbound",
      sender: "API",
      senderType: "api",
      type: "template",
      text: '=HYPERLINK("http://evil.example","clique"), diz "oi"\r\nsegunda linha',
      media: null,
      status: "delivered",
    },
    {
      kind: "message",
      id: "m-phone",
      at: at(7),
      direction: "inbound",
      sender: "+5511987654321",
      senderType: "contact",
      type: "text",
      text: "-3.5",
      media: null,
      status: "received",
    },
  ];
  for (let i = entries.length; i < messages; i++) {
    const inbound = i % 2 === 0;
    entries.push({
      kind: "message",
      id: `m-${i}`,
      at: at(i),
      direction: inbound ? "inbound" : "outbound",
      sender: inbound ? "Maria Conceição" : "João Atendente",
      senderType: inbound ? "contact" : "agent",
      type: "text",
      text: `Mensagem número ${i}: ` + "uma frase comum com acentuação, pão e coração ".repeat(1 + (i % 4)),
      media: null,
      status: inbound ? "received" : "delivered",
    });
  }
  return {
    conversation: {
      id: "conv-123",
      status: "resolved",
      priority: "high",
      tags: ["internet", "suporte"],
      createdAt: new Date(START),
      resolvedAt: new Date(START + messages * 60_000),
      assignedTo: "João Atendente",
    },
    contact: {
      id: "contact-1",
      name: "Maria Conceição",
      phone: "+5511987654321",
      email: "maria@example.com",
    },
    number: { id: "num-1", name: "Suporte", phone: "+551130000000" },
    tenantName: "Provedor Ação Ltda.",
    timeZone: "America/Sao_Paulo",
    locale,
    generatedAt: new Date("2024-03-06T12:00:00Z"),
    entries,
    truncated: true,
  };
}

// ---------------------------------------------------------------------------------------------
// A raw reading of the content streams, independent of any PDF library's text extraction: the
// strings of Tj operators (pdf-lib writes them as hex), decoded through WinAnsi.
// ---------------------------------------------------------------------------------------------

const CP1252_HIGH: Record<number, string> = {
  0x80: "€",
  0x82: "‚",
  0x83: "ƒ",
  0x84: "„",
  0x85: "…",
  0x86: "†",
  0x87: "‡",
  0x88: "ˆ",
  0x89: "‰",
  0x8a: "Š",
  0x8b: "‹",
  0x8c: "Œ",
  0x8e: "Ž",
  0x91: "‘",
  0x92: "’",
  0x93: "“",
  0x94: "”",
  0x95: "•",
  0x96: "–",
  0x97: "—",
  0x98: "˜",
  0x99: "™",
  0x9a: "š",
  0x9b: "›",
  0x9c: "œ",
  0x9e: "ž",
  0x9f: "Ÿ",
};

function rawTextRuns(pdf: Uint8Array): string[] {
  const bytes = new TextDecoder("latin1").decode(pdf);
  const runs: string[] = [];
  const stream = /stream\r?\n/g;
  for (let m = stream.exec(bytes); m; m = stream.exec(bytes)) {
    const start = m.index + m[0].length;
    const end = bytes.indexOf("endstream", start);
    let content: string;
    try {
      content = new TextDecoder("latin1").decode(inflateSync(pdf.subarray(start, end)));
    } catch {
      continue;
    }
    for (const t of content.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) {
      let s = "";
      for (let i = 0; i < t[1].length; i += 2) {
        const b = parseInt(t[1].slice(i, i + 2), 16);
        s += CP1252_HIGH[b] ?? String.fromCharCode(b);
      }
      runs.push(s);
    }
  }
  return runs;
}

Deno.test("toWinAnsi keeps every WinAnsi character and replaces the rest", () => {
  const portuguese = "Olá, não! ÁÀÂÃÉÊÍÓÔÕÚÇ áàâãéêíóôõúç ü ñ “aspas” ‘x’ – — € … • ™ œ Ÿ";
  assert.equal(toWinAnsi(portuguese), portuguese);
  assert.equal(toWinAnsi("ok 😊 fim"), "ok ? fim");
  assert.equal(toWinAnsi("família 👨‍👩‍👧 👍🏽 🇧🇷"), "família ? ? ?", "one ? per user-perceived character");
  assert.equal(toWinAnsi("日本語"), "???");
  assert.equal(toWinAnsi("a\r\nb\rc\u2028d\te"), "a\nb\nc\nd    e");
  assert.equal(toWinAnsi("Joa\u0303o"), "João", "decomposed accents are composed");
  assert.equal(toWinAnsi("ﬁm − 2 ‐ ő ©️ 1️⃣"), "fim - 2 - o © 1");
  assert.equal(toWinAnsi("zero\u200bwidth\u0007 soft\u00adhyphen"), "zerowidth softhyphen");
  assert.equal(toWinAnsi("x", "*"), "x");
  assert.equal(toWinAnsi("Привет", "*"), "******");
});

Deno.test("PDF: a readable multi-page A4 transcript", async (t) => {
  const data = transcript(300);
  const pdf = await transcriptPdf(data);

  await t.step("is a PDF that pdf-lib loads back, with metadata", async () => {
    assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
    const doc = await PDFDocument.load(pdf, { updateMetadata: false });
    assert.ok(doc.getPageCount() > 1, `pages: ${doc.getPageCount()}`);
    assert.equal(doc.getTitle(), "Transcrição da conversa — Maria Conceição");
    assert.equal(doc.getCreator(), "PyTake Edge");
    assert.equal(doc.getAuthor(), "Provedor Ação Ltda.");
    assert.equal(doc.getCreationDate()?.toISOString(), "2024-03-06T12:00:00.000Z");
    const { width, height } = doc.getPage(0).getSize();
    assert.deepEqual([Math.round(width), Math.round(height)], [595, 842], "A4");
  });

  await t.step("pdf.js extracts the text: accents, note, times, page numbers", async () => {
    const proxy = await getDocumentProxy(new Uint8Array(pdf));
    const { totalPages, text } = await extractText(proxy, { mergePages: false });
    const all = text.join("\n");
    assert.ok(totalPages > 1);
    assert.ok(all.includes("Olá, não consigo acessar a internet"), "the first message");
    assert.ok(all.includes("Ação urgente"));
    assert.ok(all.includes(NOTE_TEXT), "the note");
    assert.ok(all.includes("Nota interna"));
    assert.ok(all.includes("Transcrição da conversa"));
    assert.ok(all.includes("05/03/2024 14:30"), "times in São Paulo, dd/MM/yyyy HH:mm");
    assert.ok(all.includes("America/Sao_Paulo (UTC-03:00)"));
    assert.ok(all.includes("Obrigada ?? pela ajuda, ?? “aspas” – já já… ?"), "emoji and CJK replaced");
    assert.ok(all.includes("[imagem] roteador.jpg — Foto do roteador, luz vermelha"));
    assert.ok(all.includes("id: wamid-media-1"));
    assert.ok(all.includes("Transcrição incompleta"), "the truncation warning");
    assert.ok(text[0].includes(`Página 1 de ${totalPages}`), "footer on the first page");
    assert.ok(text[totalPages - 1].includes(`Página ${totalPages} de ${totalPages}`));
    assert.ok(text[totalPages - 1].includes("Fim da transcrição"));
    assert.ok(all.includes("Mensagem número 299"), "the last message");
  });

  await t.step("no text runs past the right margin (long URLs are broken)", async () => {
    const proxy = await getDocumentProxy(new Uint8Array(pdf));
    let widest = 0;
    for (let p = 1; p <= proxy.numPages; p++) {
      const content = await (await proxy.getPage(p)).getTextContent();
      for (const item of content.items) {
        if (!("str" in item) || !item.str) continue;
        widest = Math.max(widest, item.transform[4] + item.width);
      }
    }
    assert.ok(widest <= 595.28 - 50 + 0.01, `rightmost text ends at ${widest}`);
  });

  await t.step("the content streams hold the exact strings (raw reading)", () => {
    const runs = rawTextRuns(pdf);
    assert.ok(runs.includes("Olá, não consigo acessar a internet. Ação urgente!"));
    assert.ok(runs.includes(NOTE_TEXT));
    assert.ok(runs.includes("Nota interna  · "));
    const url = runs.filter((r) => r.includes("segment-without-spaces") || /^(a|x)+/.test(r)).join("");
    assert.ok(url.includes(LONG_URL), "the URL is complete, broken over several lines");
    assert.ok(runs.some((r) => r.startsWith("https://files.example.com/") && r.length < LONG_URL.length));
    assert.ok(runs.includes("    Tente de novo, por favor."), "the tab became spaces");
  });
});

Deno.test("PDF: other locales, an empty transcript and unknown values", async () => {
  const en = transcript(12, "en");
  en.timeZone = "Not/AZone"; // falls back to UTC
  en.conversation.status = "something-new";
  const proxy = await getDocumentProxy(await transcriptPdf(en));
  const { text } = await extractText(proxy, { mergePages: true });
  assert.ok(text.includes("Conversation transcript"));
  assert.ok(text.includes("Internal note"));
  assert.ok(text.includes("2024-03-05 17:30"), "UTC, yyyy-MM-dd HH:mm");
  assert.ok(text.includes("something-new"));
  assert.ok(text.includes("Page 1 of "));

  const es = transcript(12, "es");
  es.entries = [];
  es.truncated = false;
  es.contact.name = null;
  const { text: esText } = await extractText(await getDocumentProxy(await transcriptPdf(es)), {
    mergePages: true,
  });
  assert.ok(esText.includes("Transcripción de la conversación — ") === false);
  assert.ok(esText.includes("Transcripción de la conversación"));
  assert.ok(esText.includes("No hay mensajes"));
  assert.ok(esText.includes("+5511987654321"), "the phone stands in for a missing name");
  assert.ok(esText.includes("Página 1 de 1"));
});

Deno.test("PDF: 5,000 entries", async () => {
  const started = performance.now();
  const pdf = await transcriptPdf(transcript(5000));
  const ms = performance.now() - started;
  const doc = await PDFDocument.load(pdf);
  assert.ok(doc.getPageCount() > 100, `pages: ${doc.getPageCount()}`);
  assert.ok(ms < 30_000, `rendered in ${Math.round(ms)} ms`);
  assert.ok(pdf.length < 5_000_000, `size ${pdf.length}`);
});

Deno.test("CSV cells: quoting and the formula-injection guard", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('diz "oi"'), '"diz ""oi"""');
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell("a\nb"), '"a\nb"');
  assert.equal(csvCell("a\rb"), '"a\rb"');
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(42), "42");
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(csvCell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  assert.equal(csvCell("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  assert.equal(csvCell("\t=1"), "'\t=1");
  assert.equal(csvCell("\r=1"), `"'\r=1"`);
  assert.equal(csvCell("+5511987654321"), "+5511987654321");
  assert.equal(csvCell("+55 (11) 98765-4321"), "+55 (11) 98765-4321");
  assert.equal(csvCell("-3.5"), "-3.5");
  assert.equal(csvCell("+42"), "+42");
  assert.equal(csvCell("-1,5"), '"-1,5"');
  assert.equal(csvCell("+1-1"), "'+1-1", "too few digits for a phone: treated as a formula");
  assert.equal(csvRow(["a", "b,c", ""]), 'a,"b,c",\r\n');
});

/** RFC 4180 parser, to read the document back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(cell), cell = "");
    else if (c === "\r" && text[i + 1] === "\n") (row.push(cell), rows.push(row), row = [], cell = "", i++);
    else cell += c;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

Deno.test("CSV transcript", () => {
  const csv = transcriptCsv(transcript(10));
  assert.ok(csv.startsWith("\uFEFFtime,kind,direction,sender,sender_type,type,text,media_kind,"));
  assert.ok(csv.endsWith("\r\n"));
  const lines = csv.slice(1).split("\r\n");
  assert.equal(
    lines[0],
    "time,kind,direction,sender,sender_type,type,text,media_kind,media_id,media_url,media_filename,status",
  );
  assert.equal(
    lines[1],
    "2024-03-05T14:30:00-03:00,message,inbound,Maria Conceição,contact,text," +
      '"Olá, não consigo acessar a internet. Ação urgente!",,,,,received',
  );
  const rows = parseCsv(csv.slice(1));
  assert.equal(rows.length, 11);
  assert.ok(rows.every((r) => r.length === 12));
  const byId = (i: number) => rows[i + 1];
  assert.deepEqual(byId(3), [
    "2024-03-05T14:33:00-03:00",
    "note",
    "",
    "João Atendente",
    "",
    "",
    NOTE_TEXT,
    "",
    "",
    "",
    "",
    "",
  ]);
  assert.deepEqual(byId(4).slice(6), [
    "Foto do roteador, luz vermelha",
    "image",
    "wamid-media-1",
    "https://cdn.example.com/media/1.jpg",
    "roteador.jpg",
    "received",
  ]);
  assert.equal(byId(6)[6], `'=HYPERLINK("http://evil.example","clique"), diz "oi"\r\nsegunda linha`);
  assert.equal(byId(7)[3], "+5511987654321", "a phone is not guarded");
  assert.equal(byId(7)[6], "-3.5");
});

Deno.test("isoInZone: offsets from Intl, including DST and half hours", () => {
  const at = new Date("2024-03-05T17:30:00.789Z");
  assert.equal(isoInZone(at, "America/Sao_Paulo"), "2024-03-05T14:30:00-03:00");
  assert.equal(isoInZone(at, "UTC"), "2024-03-05T17:30:00+00:00");
  assert.equal(isoInZone(at, "Asia/Kolkata"), "2024-03-05T23:00:00+05:30");
  assert.equal(isoInZone(new Date("2024-07-01T12:00:00Z"), "America/New_York"), "2024-07-01T08:00:00-04:00");
  assert.equal(isoInZone(new Date("2024-01-01T12:00:00Z"), "America/New_York"), "2024-01-01T07:00:00-05:00");
  assert.equal(isoInZone(new Date("2018-12-01T12:00:00Z"), "America/Sao_Paulo"), "2018-12-01T10:00:00-02:00");
  assert.equal(isoInZone(new Date("2024-03-05T03:00:00Z"), "America/Sao_Paulo"), "2024-03-05T00:00:00-03:00");
  assert.equal(isoInZone(new Date(Number.NaN), "UTC"), "");
});

Deno.test("JSON transcript", () => {
  const json = transcriptJson(transcript(10));
  const round = JSON.parse(JSON.stringify(json));
  assert.deepEqual(Object.keys(round).sort(), [
    "contact",
    "conversation",
    "entries",
    "generated_at",
    "number",
    "time_zone",
    "truncated",
  ]);
  assert.deepEqual(round.conversation, {
    id: "conv-123",
    status: "resolved",
    priority: "high",
    tags: ["internet", "suporte"],
    created_at: "2024-03-05T17:30:00.000Z",
    resolved_at: "2024-03-05T17:40:00.000Z",
    assigned_to: "João Atendente",
  });
  assert.deepEqual(round.contact, {
    id: "contact-1",
    name: "Maria Conceição",
    phone: "+5511987654321",
    email: "maria@example.com",
  });
  assert.deepEqual(round.number, { id: "num-1", name: "Suporte", phone: "+551130000000" });
  assert.equal(round.generated_at, "2024-03-06T12:00:00.000Z");
  assert.equal(round.time_zone, "America/Sao_Paulo");
  assert.equal(round.truncated, true);
  assert.equal(round.entries.length, 10);
  assert.deepEqual(round.entries[0], {
    kind: "message",
    id: "m-first",
    at: "2024-03-05T17:30:00.000Z",
    direction: "inbound",
    sender: "Maria Conceição",
    sender_type: "contact",
    type: "text",
    text: "Olá, não consigo acessar a internet. Ação urgente!",
    media: null,
    status: "received",
  });
  assert.deepEqual(round.entries[3], {
    kind: "note",
    id: "n-1",
    at: "2024-03-05T17:33:00.000Z",
    author: "João Atendente",
    text: NOTE_TEXT,
  });
  assert.deepEqual(round.entries[5].media, {
    kind: "document",
    id: "doc-9",
    url: null,
    filename: "contrato.pdf",
    caption: null,
    mime_type: "application/pdf",
  });
});
