import { drawFooters } from "../../core/pdf-footer.ts";
import { type Color, PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import {
  formatOffset,
  resolveTimeZone,
  type Transcript,
  type TranscriptLocale,
  type TranscriptMessage,
  type TranscriptNote,
  zonedTime,
} from "./transcript.ts";
import { toWinAnsi } from "../../core/win-ansi.ts";

/** Re-exported: the sanitizer moved to `core/win-ansi.ts`. */
export { isWinAnsi, toWinAnsi } from "../../core/win-ansi.ts";

/** One line: `toWinAnsi` with newlines folded into spaces. */
function oneLine(text: string): string {
  return toWinAnsi(text).replace(/\s*\n\s*/g, " ").trim();
}

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

interface Labels {
  title: string;
  contact: string;
  phone: string;
  email: string;
  number: string;
  status: string;
  priority: string;
  tags: string;
  assignedTo: string;
  unassigned: string;
  createdAt: string;
  resolvedAt: string;
  conversation: string;
  contents: (messages: number, notes: number) => string;
  generatedAt: string;
  timeZone: string;
  truncated: string;
  note: string;
  noText: string;
  noEntries: string;
  end: string;
  page: (n: number, of: number) => string;
  /** Dates as dd/MM/yyyy (true) or yyyy-MM-dd (false). */
  dayFirst: boolean;
  types: Record<string, string>;
  statuses: Record<string, string>;
  senderTypes: Record<string, string>;
  conversationStatuses: Record<string, string>;
  priorities: Record<string, string>;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const LABELS: Record<TranscriptLocale, Labels> = {
  "pt-BR": {
    title: "Transcrição da conversa",
    contact: "Contato",
    phone: "Telefone",
    email: "E-mail",
    number: "Número WhatsApp",
    status: "Status",
    priority: "Prioridade",
    tags: "Etiquetas",
    assignedTo: "Atendente",
    unassigned: "Não atribuída",
    createdAt: "Criada em",
    resolvedAt: "Resolvida em",
    conversation: "Conversa",
    contents: (m, n) =>
      `${plural(m, "mensagem", "mensagens")}, ${plural(n, "nota interna", "notas internas")}`,
    generatedAt: "Gerado em",
    timeZone: "Fuso horário",
    truncated: "Transcrição incompleta: a conversa tem mais mensagens do que as incluídas neste documento.",
    note: "Nota interna",
    noText: "(sem texto)",
    noEntries: "Nenhuma mensagem nesta conversa.",
    end: "Fim da transcrição",
    page: (n, of) => `Página ${n} de ${of}`,
    dayFirst: true,
    types: {
      text: "texto",
      image: "imagem",
      audio: "áudio",
      video: "vídeo",
      document: "documento",
      sticker: "figurinha",
      location: "localização",
      contacts: "contatos",
      interactive: "interativa",
      button: "botão",
      template: "modelo",
      reaction: "reação",
      unsupported: "não suportada",
    },
    statuses: {
      pending: "pendente",
      sent: "enviada",
      delivered: "entregue",
      read: "lida",
      failed: "falhou",
      received: "recebida",
    },
    senderTypes: { contact: "contato", agent: "atendente", bot: "bot", system: "sistema", api: "API" },
    conversationStatuses: {
      active: "Ativa",
      waiting: "Aguardando",
      resolved: "Resolvida",
      archived: "Arquivada",
    },
    priorities: { low: "Baixa", normal: "Normal", high: "Alta", urgent: "Urgente" },
  },
  en: {
    title: "Conversation transcript",
    contact: "Contact",
    phone: "Phone",
    email: "Email",
    number: "WhatsApp number",
    status: "Status",
    priority: "Priority",
    tags: "Tags",
    assignedTo: "Agent",
    unassigned: "Unassigned",
    createdAt: "Created",
    resolvedAt: "Resolved",
    conversation: "Conversation",
    contents: (m, n) =>
      `${plural(m, "message", "messages")}, ${plural(n, "internal note", "internal notes")}`,
    generatedAt: "Generated",
    timeZone: "Time zone",
    truncated: "Incomplete transcript: the conversation has more messages than this document includes.",
    note: "Internal note",
    noText: "(no text)",
    noEntries: "No messages in this conversation.",
    end: "End of transcript",
    page: (n, of) => `Page ${n} of ${of}`,
    dayFirst: false,
    types: {
      text: "text",
      image: "image",
      audio: "audio",
      video: "video",
      document: "document",
      sticker: "sticker",
      location: "location",
      contacts: "contacts",
      interactive: "interactive",
      button: "button",
      template: "template",
      reaction: "reaction",
      unsupported: "unsupported",
    },
    statuses: {
      pending: "pending",
      sent: "sent",
      delivered: "delivered",
      read: "read",
      failed: "failed",
      received: "received",
    },
    senderTypes: { contact: "contact", agent: "agent", bot: "bot", system: "system", api: "API" },
    conversationStatuses: {
      active: "Active",
      waiting: "Waiting",
      resolved: "Resolved",
      archived: "Archived",
    },
    priorities: { low: "Low", normal: "Normal", high: "High", urgent: "Urgent" },
  },
  es: {
    title: "Transcripción de la conversación",
    contact: "Contacto",
    phone: "Teléfono",
    email: "Correo electrónico",
    number: "Número de WhatsApp",
    status: "Estado",
    priority: "Prioridad",
    tags: "Etiquetas",
    assignedTo: "Agente",
    unassigned: "Sin asignar",
    createdAt: "Creada el",
    resolvedAt: "Resuelta el",
    conversation: "Conversación",
    contents: (m, n) => `${plural(m, "mensaje", "mensajes")}, ${plural(n, "nota interna", "notas internas")}`,
    generatedAt: "Generado el",
    timeZone: "Zona horaria",
    truncated:
      "Transcripción incompleta: la conversación tiene más mensajes de los incluidos en este documento.",
    note: "Nota interna",
    noText: "(sin texto)",
    noEntries: "No hay mensajes en esta conversación.",
    end: "Fin de la transcripción",
    page: (n, of) => `Página ${n} de ${of}`,
    dayFirst: true,
    types: {
      text: "texto",
      image: "imagen",
      audio: "audio",
      video: "video",
      document: "documento",
      sticker: "sticker",
      location: "ubicación",
      contacts: "contactos",
      interactive: "interactivo",
      button: "botón",
      template: "plantilla",
      reaction: "reacción",
      unsupported: "no compatible",
    },
    statuses: {
      pending: "pendiente",
      sent: "enviado",
      delivered: "entregado",
      read: "leído",
      failed: "fallido",
      received: "recibido",
    },
    senderTypes: { contact: "contacto", agent: "agente", bot: "bot", system: "sistema", api: "API" },
    conversationStatuses: {
      active: "Activa",
      waiting: "En espera",
      resolved: "Resuelta",
      archived: "Archivada",
    },
    priorities: { low: "Baja", normal: "Normal", high: "Alta", urgent: "Urgente" },
  },
};

/** The labels for `locale`; "pt"/"pt-PT" get Brazilian Portuguese, anything unknown English. */
function labelsFor(locale: string): Labels {
  if (Object.hasOwn(LABELS, locale)) return LABELS[locale as TranscriptLocale];
  const language = locale.toLowerCase().split(/[-_]/)[0];
  return language === "pt" ? LABELS["pt-BR"] : language === "es" ? LABELS.es : LABELS.en;
}

const label = (table: Record<string, string>, key: string) => Object.hasOwn(table, key) ? table[key] : key;

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

const PAGE_W = 595.28; // A4
const PAGE_H = 841.89;
const MARGIN_X = 50;
const TOP = PAGE_H - 56;
const BOTTOM = 54;
const CONTENT_W = PAGE_W - 2 * MARGIN_X;
const INDENT = 12;
const ENTRY_GAP = 7;

const INK = rgb(0.1, 0.1, 0.12);
const GREY = rgb(0.42, 0.42, 0.45);
const RULE = rgb(0.8, 0.8, 0.82);
const INBOUND = rgb(0.08, 0.33, 0.62);
const OUTBOUND = rgb(0.05, 0.45, 0.28);
const FAILED = rgb(0.72, 0.12, 0.12);
const NOTE_BG = rgb(1, 0.965, 0.86);
const NOTE_BAR = rgb(0.85, 0.6, 0.1);
const NOTE_INK = rgb(0.45, 0.3, 0.02);

/** Characters a too-long word (a URL) is preferably broken after. */
const BREAK_AFTER = new Set(["/", "?", "&", "=", "-", "_", ".", ",", ";", ":", "#", "@", "+", "|"]);

/** Advance widths of single characters, unkerned (pdf-lib draws without kerning). */
class Metrics {
  readonly #widths = new Map<number, number>();
  constructor(readonly font: PDFFont) {}

  #char(code: number): number {
    let w = this.#widths.get(code);
    if (w === undefined) {
      w = this.font.widthOfTextAtSize(String.fromCharCode(code), 1000);
      this.#widths.set(code, w);
    }
    return w;
  }

  width(text: string, size: number): number {
    let w = 0;
    for (let i = 0; i < text.length; i++) w += this.#char(text.charCodeAt(i));
    return (w * size) / 1000;
  }

  /** Breaks a word wider than `max` into pieces that fit, after a URL separator when one is near. */
  breakWord(word: string, size: number, max: number): string[] {
    const limit = (max * 1000) / size;
    const parts: string[] = [];
    let start = 0;
    while (start < word.length) {
      let w = 0;
      let i = start;
      let lastBreak = -1;
      while (i < word.length) {
        const cw = this.#char(word.charCodeAt(i));
        if (w + cw > limit && i > start) break;
        w += cw;
        i++;
        if (BREAK_AFTER.has(word[i - 1])) lastBreak = i;
      }
      if (i >= word.length) {
        parts.push(word.slice(start));
        break;
      }
      const end = lastBreak > start + (i - start) / 2 ? lastBreak : i;
      parts.push(word.slice(start, end));
      start = end;
    }
    return parts;
  }

  /** Greedy word wrap of WinAnsi text ("\n" for paragraphs) to lines at most `max` wide. */
  wrap(text: string, size: number, max: number): string[] {
    const lines: string[] = [];
    const space = this.width(" ", size);
    for (const para of text.split("\n")) {
      let line = "";
      let lineW = 0;
      let started = false; // the line holds at least one token (maybe an empty one: a leading space)
      let wrapped = false;
      for (const word of para.split(" ")) {
        if (!started && wrapped && word === "") continue; // no leading spaces on a wrapped line
        const w = this.width(word, size);
        if (started && lineW + space + w <= max) {
          line += " " + word;
          lineW += space + w;
          continue;
        }
        if (!started && w <= max) {
          line = word;
          lineW = w;
          started = true;
          continue;
        }
        if (started) {
          lines.push(line.trimEnd());
          wrapped = true;
          if (word === "") {
            line = "";
            lineW = 0;
            started = false;
            continue;
          }
        }
        if (w <= max) {
          line = word;
          lineW = w;
        } else {
          const pieces = this.breakWord(word, size, max);
          for (let p = 0; p < pieces.length - 1; p++) lines.push(pieces[p]);
          line = pieces[pieces.length - 1];
          lineW = this.width(line, size);
          wrapped = true;
        }
        started = true;
      }
      lines.push(line.trimEnd());
    }
    // Keep at most one blank line in a row, and none at the end.
    const out: string[] = [];
    for (const l of lines) if (l !== "" || (out.length > 0 && out[out.length - 1] !== "")) out.push(l);
    while (out.length > 1 && out[out.length - 1] === "") out.pop();
    return out.length ? out : [""];
  }

  /** `text` cut to `max` wide, with an ellipsis when cut. */
  fit(text: string, size: number, max: number): string {
    if (this.width(text, size) <= max) return text;
    const limit = max - this.width("…", size);
    let end = text.length;
    while (end > 0 && this.width(text.slice(0, end), size) > limit) end--;
    return text.slice(0, end).trimEnd() + "…";
  }
}

interface Segment {
  text: string;
  font: Metrics;
  size: number;
  color: Color;
  /** Absolute x for this segment (a column); otherwise right after the previous one. */
  at?: number;
}

class Writer {
  readonly pages: PDFPage[] = [];
  page!: PDFPage;
  /** Top of the next line. */
  y = 0;

  constructor(
    readonly doc: PDFDocument,
    readonly regular: Metrics,
    readonly runningHeader: string,
  ) {
    this.newPage();
  }

  newPage() {
    this.page = this.doc.addPage([PAGE_W, PAGE_H]);
    this.pages.push(this.page);
    this.y = TOP;
    if (this.pages.length > 1) {
      this.page.drawText(this.regular.fit(this.runningHeader, 8, CONTENT_W), {
        x: MARGIN_X,
        y: PAGE_H - 34,
        size: 8,
        font: this.regular.font,
        color: GREY,
      });
      this.rule(PAGE_H - 40);
    }
  }

  /** Starts a new page unless `height` more fits on this one. */
  need(height: number) {
    if (this.y - height < BOTTOM) this.newPage();
  }

  rule(y: number) {
    this.page.drawLine({
      start: { x: MARGIN_X, y },
      end: { x: PAGE_W - MARGIN_X, y },
      thickness: 0.5,
      color: RULE,
    });
  }

  /** Draws segments side by side on one line `leading` tall, breaking the page first if needed. */
  line(
    x: number,
    leading: number,
    segments: Segment[],
    background?: { x: number; color: Color; bar: Color },
  ) {
    this.need(leading);
    if (background) {
      this.page.drawRectangle({
        x: background.x,
        y: this.y - leading,
        width: PAGE_W - MARGIN_X - background.x,
        height: leading,
        color: background.color,
      });
      this.page.drawRectangle({
        x: background.x,
        y: this.y - leading,
        width: 2,
        height: leading,
        color: background.bar,
      });
    }
    const maxSize = Math.max(...segments.map((s) => s.size));
    const baseline = this.y - leading + (leading - maxSize) / 2 + maxSize * 0.22;
    for (const s of segments) {
      if (s.at !== undefined) x = s.at;
      if (s.text) {
        this.page.drawText(s.text, { x, y: baseline, size: s.size, font: s.font.font, color: s.color });
      }
      x += s.font.width(s.text, s.size);
    }
    this.y -= leading;
  }

  /** Wrapped text starting at `x`. */
  paragraph(text: string, x: number, font: Metrics, size: number, leading: number, color: Color) {
    for (const l of font.wrap(text, size, PAGE_W - MARGIN_X - x)) {
      this.line(x, leading, [{ text: l, font, size, color }]);
    }
  }

  gap(height: number) {
    this.y -= height;
  }
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A conversation transcript as an A4 PDF: a header with the conversation's details, then every
 * message and internal note with its time (in the transcript's zone), sender and text. Drawn with
 * the standard Helvetica fonts, so text is reduced to WinAnsi (see `toWinAnsi`).
 */
export async function transcriptPdf(t: Transcript): Promise<Uint8Array> {
  const L = labelsFor(t.locale);
  const zone = resolveTimeZone(t.timeZone);
  const when = (d: Date | null): string => {
    const z = d ? zonedTime(d, zone) : null;
    if (!z) return "—";
    const date = L.dayFirst
      ? `${pad(z.day)}/${pad(z.month)}/${pad(z.year, 4)}`
      : `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}`;
    return `${date} ${pad(z.hour)}:${pad(z.minute)}`;
  };

  const doc = await PDFDocument.create();
  const [regular, bold, italic] = await Promise.all([
    doc.embedFont(StandardFonts.Helvetica),
    doc.embedFont(StandardFonts.HelveticaBold),
    doc.embedFont(StandardFonts.HelveticaOblique),
  ]);
  const R = new Metrics(regular);
  const B = new Metrics(bold);
  const I = new Metrics(italic);

  const contactName = t.contact.name?.trim() || t.contact.phone;
  const messageCount = t.entries.reduce((n, e) => n + (e.kind === "message" ? 1 : 0), 0);

  doc.setTitle(`${L.title} — ${contactName}`, { showInWindowTitleBar: true });
  doc.setAuthor(t.tenantName);
  doc.setSubject(`${L.conversation} ${t.conversation.id}`);
  doc.setCreator("PyTake Edge");
  doc.setProducer("PyTake Edge (pdf-lib)");
  doc.setLanguage(t.locale);
  if (t.conversation.tags.length) doc.setKeywords(t.conversation.tags);
  doc.setCreationDate(t.generatedAt);
  doc.setModificationDate(t.generatedAt);

  const w = new Writer(
    doc,
    R,
    oneLine(
      `${L.title} · ${contactName}${t.contact.name?.trim() ? ` (${t.contact.phone})` : ""} · ${t.tenantName}`,
    ),
  );

  // Header block.
  for (const l of B.wrap(toWinAnsi(L.title), 18, CONTENT_W)) {
    w.line(MARGIN_X, 22, [{ text: l, font: B, size: 18, color: INK }]);
  }
  w.paragraph(oneLine(t.tenantName), MARGIN_X, R, 11, 15, GREY);
  w.gap(8);

  const offset = zonedTime(t.generatedAt, zone)?.offsetMinutes;
  const number = t.number.phone ? `${t.number.name} (${t.number.phone})` : t.number.name;
  const rows: [string, string | null][] = [
    [L.contact, contactName],
    [L.phone, t.contact.phone],
    [L.email, t.contact.email],
    [L.number, number],
    [L.status, label(L.conversationStatuses, t.conversation.status)],
    [L.priority, label(L.priorities, t.conversation.priority)],
    [L.tags, t.conversation.tags.length ? t.conversation.tags.join(", ") : "—"],
    [L.assignedTo, t.conversation.assignedTo?.trim() || L.unassigned],
    [L.createdAt, when(t.conversation.createdAt)],
    [L.resolvedAt, when(t.conversation.resolvedAt)],
    [L.conversation, `${t.conversation.id} · ${L.contents(messageCount, t.entries.length - messageCount)}`],
    [L.generatedAt, when(t.generatedAt)],
    [L.timeZone, offset === undefined ? zone : `${zone} (UTC${formatOffset(offset)})`],
  ];
  const valueX = MARGIN_X + 110;
  for (const [name, value] of rows) {
    if (value === null || value === "") continue;
    const lines = R.wrap(toWinAnsi(value).replace(/\n+/g, " "), 10, PAGE_W - MARGIN_X - valueX);
    lines.forEach((l, i) => {
      w.line(MARGIN_X, 14, [
        { text: i === 0 ? B.fit(toWinAnsi(name), 9, 105) : "", font: B, size: 9, color: GREY },
        { text: l, font: R, size: 10, color: INK, at: valueX },
      ]);
    });
  }
  if (t.truncated) {
    w.gap(6);
    w.paragraph(toWinAnsi(L.truncated), MARGIN_X, B, 10, 13, FAILED);
  }
  w.gap(8);
  w.rule(w.y);
  w.gap(10);

  // Entries.
  const drawMessage = (m: TranscriptMessage) => {
    const inbound = m.direction === "inbound";
    const extras: string[] = [];
    const role = label(L.senderTypes, m.senderType);
    if (m.senderType !== "contact" && role.toLowerCase() !== m.sender.trim().toLowerCase()) extras.push(role);
    if (m.type !== "text" && !m.media) extras.push(label(L.types, m.type));
    if (!inbound && m.status) extras.push(label(L.statuses, m.status));
    const time = `${when(m.at)}   `;
    const tail = extras.length ? `  · ${oneLine(extras.join(" · "))}` : "";
    const room = CONTENT_W - R.width(time, 9) - R.width(tail, 9);
    const sender = B.fit(oneLine(m.sender) || "—", 9.5, Math.max(room, 60));

    const text = m.text ? toWinAnsi(m.text) : "";
    const media = m.media;
    let mediaLine = "";
    let detail = "";
    if (media) {
      const caption = media.caption && media.caption !== m.text ? media.caption : "";
      mediaLine = [`[${label(L.types, media.kind)}]`, media.filename, caption && `— ${caption}`]
        .filter(Boolean)
        .join(" ");
      detail = [
        media.id && `id: ${media.id}`,
        media.mime_type && media.mime_type,
        media.url && `url: ${media.url}`,
      ].filter(Boolean).join(" · ");
    }

    w.need(12 + 13); // the heading and the first line stay together
    w.line(MARGIN_X, 12, [
      { text: time, font: R, size: 9, color: GREY },
      { text: sender, font: B, size: 9.5, color: inbound ? INBOUND : OUTBOUND },
      { text: tail, font: R, size: 9, color: m.status === "failed" ? FAILED : GREY },
    ]);
    const x = MARGIN_X + INDENT;
    if (text) w.paragraph(text, x, R, 10, 13, INK);
    if (mediaLine) w.paragraph(toWinAnsi(mediaLine), x, R, 10, 13, INK);
    if (detail) w.paragraph(oneLine(detail), x, R, 8, 10.5, GREY);
    if (!text && !mediaLine) w.paragraph(toWinAnsi(L.noText), x, I, 10, 13, GREY);
  };

  const drawNote = (n: TranscriptNote) => {
    const x = MARGIN_X + INDENT;
    const bg = { x, color: NOTE_BG, bar: NOTE_BAR };
    const time = `${when(n.at)}   `;
    const head = `${toWinAnsi(L.note)}  · `;
    const room = PAGE_W - MARGIN_X - (x + 8) - R.width(time, 9) - B.width(head, 9);
    w.need(4 + 12 + 13);
    w.line(x, 4, [{ text: "", font: R, size: 1, color: INK }], bg);
    w.line(x + 8, 12, [
      { text: time, font: R, size: 9, color: GREY },
      { text: head, font: B, size: 9, color: NOTE_INK },
      { text: B.fit(oneLine(n.author) || "—", 9, Math.max(room, 60)), font: B, size: 9, color: NOTE_INK },
    ], bg);
    for (const l of I.wrap(toWinAnsi(n.text), 10, PAGE_W - MARGIN_X - (x + 8) - 6)) {
      w.line(x + 8, 13, [{ text: l, font: I, size: 10, color: INK }], bg);
    }
    w.line(x, 4, [{ text: "", font: R, size: 1, color: INK }], bg);
  };

  if (t.entries.length === 0) w.paragraph(toWinAnsi(L.noEntries), MARGIN_X, I, 10, 13, GREY);
  for (const e of t.entries) {
    if (e.kind === "note") drawNote(e);
    else drawMessage(e);
    w.gap(ENTRY_GAP);
  }
  if (t.entries.length > 0) {
    w.need(20);
    w.gap(4);
    const end = `— ${toWinAnsi(L.end)} —`;
    w.line(MARGIN_X + (CONTENT_W - R.width(end, 9)) / 2, 12, [{ text: end, font: R, size: 9, color: GREY }]);
  }

  // Footers, now that the page count is known.
  drawFooters(w.pages, {
    left: R.fit(oneLine(`PyTake Edge · ${t.tenantName}`), 8, CONTENT_W / 2),
    pageLabel: (i, n) => toWinAnsi(L.page(i, n)),
    font: regular,
    width: (text, size) => R.width(text, size),
    marginX: MARGIN_X,
  });

  return await doc.save();
}
