import { drawFooters } from "../core/pdf-footer.ts";
import { type Color, PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import { toWinAnsi } from "../core/win-ansi.ts";
import { formatOffset, resolveTimeZone, zonedTime } from "../conversations/transcript/transcript.ts";
import type { DashboardReport, DurationStats, ReportChart, ReportLocale } from "./report.ts";

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

interface Labels {
  title: string;
  period: string;
  periodNames: Record<DashboardReport["period"]["name"], string>;
  timeZone: string;
  generatedAt: string;
  sections: {
    messages: string;
    conversations: string;
    service: string;
    times: string;
    charts: string;
    agents: string;
  };
  inbound: string;
  outbound: string;
  failed: string;
  deliveryRate: string;
  readRate: string;
  delivered: (n: string) => string;
  read: (n: string) => string;
  ofSent: (pct: string) => string;
  conversationsNew: string;
  conversationsResolved: string;
  resolutionRate: string;
  conversationsActive: string;
  conversationsWaiting: string;
  contactsNew: string;
  contactsTotal: string;
  perConversation: string;
  byAgent: string;
  byBot: string;
  ofHandled: (pct: string) => string;
  firstResponse: string;
  resolutionTime: string;
  average: string;
  median: string;
  p95: string;
  sample: string;
  intervals: Record<ReportChart["interval"], string>;
  aggregates: Record<ReportChart["aggregate"], string>;
  total: string;
  noData: string;
  noCharts: string;
  agent: string;
  status: string;
  activeConversations: string;
  capacity: string;
  load: string;
  online: string;
  offline: string;
  noAgents: string;
  page: (n: number, of: number) => string;
  /** Dates as dd/MM/yyyy (true) or yyyy-MM-dd (false). */
  dayFirst: boolean;
  decimal: string;
  group: string;
  /** Axis abbreviations for 10^6, 10^9, 10^12. */
  large: [string, string, string];
}

const LABELS: Record<ReportLocale, Labels> = {
  "pt-BR": {
    title: "Relatório do painel",
    period: "Período",
    periodNames: { today: "Hoje", week: "Esta semana", month: "Este mês", custom: "Personalizado" },
    timeZone: "Fuso horário",
    generatedAt: "Gerado em",
    sections: {
      messages: "Mensagens",
      conversations: "Conversas",
      service: "Contatos e atendimento",
      times: "Tempos de atendimento",
      charts: "Gráficos",
      agents: "Atendentes",
    },
    inbound: "Mensagens recebidas",
    outbound: "Mensagens enviadas",
    failed: "Mensagens com falha",
    deliveryRate: "Taxa de entrega",
    readRate: "Taxa de leitura",
    delivered: (n) => `${n} entregues`,
    read: (n) => `${n} lidas`,
    ofSent: (p) => `${p} das enviadas`,
    conversationsNew: "Conversas novas",
    conversationsResolved: "Conversas resolvidas",
    resolutionRate: "Taxa de resolução",
    conversationsActive: "Conversas ativas",
    conversationsWaiting: "Conversas aguardando",
    contactsNew: "Novos contatos",
    contactsTotal: "Total de contatos",
    perConversation: "Mensagens por conversa",
    byAgent: "Atendidas por agentes",
    byBot: "Atendidas pelo bot",
    ofHandled: (p) => `${p} das atendidas`,
    firstResponse: "Primeira resposta",
    resolutionTime: "Tempo de resolução",
    average: "Média",
    median: "Mediana",
    p95: "P95",
    sample: "Conversas",
    intervals: { hourly: "Por hora", daily: "Por dia", weekly: "Por semana" },
    aggregates: { count: "total", avg: "média" },
    total: "Total",
    noData: "Sem dados",
    noCharts: "Nenhum gráfico neste relatório.",
    agent: "Atendente",
    status: "Status",
    activeConversations: "Conversas ativas",
    capacity: "Capacidade",
    load: "Ocupação",
    online: "Online",
    offline: "Offline",
    noAgents: "Nenhum atendente.",
    page: (n, of) => `Página ${n} de ${of}`,
    dayFirst: true,
    decimal: ",",
    group: ".",
    large: [" mi", " bi", " tri"],
  },
  en: {
    title: "Dashboard report",
    period: "Period",
    periodNames: { today: "Today", week: "This week", month: "This month", custom: "Custom" },
    timeZone: "Time zone",
    generatedAt: "Generated",
    sections: {
      messages: "Messages",
      conversations: "Conversations",
      service: "Contacts and service",
      times: "Service times",
      charts: "Charts",
      agents: "Agents",
    },
    inbound: "Messages received",
    outbound: "Messages sent",
    failed: "Failed messages",
    deliveryRate: "Delivery rate",
    readRate: "Read rate",
    delivered: (n) => `${n} delivered`,
    read: (n) => `${n} read`,
    ofSent: (p) => `${p} of sent`,
    conversationsNew: "New conversations",
    conversationsResolved: "Resolved conversations",
    resolutionRate: "Resolution rate",
    conversationsActive: "Active conversations",
    conversationsWaiting: "Waiting conversations",
    contactsNew: "New contacts",
    contactsTotal: "Total contacts",
    perConversation: "Messages per conversation",
    byAgent: "Handled by agents",
    byBot: "Handled by bot",
    ofHandled: (p) => `${p} of handled`,
    firstResponse: "First response",
    resolutionTime: "Resolution time",
    average: "Average",
    median: "Median",
    p95: "P95",
    sample: "Conversations",
    intervals: { hourly: "Hourly", daily: "Daily", weekly: "Weekly" },
    aggregates: { count: "total", avg: "average" },
    total: "Total",
    noData: "No data",
    noCharts: "No charts in this report.",
    agent: "Agent",
    status: "Status",
    activeConversations: "Active conversations",
    capacity: "Capacity",
    load: "Load",
    online: "Online",
    offline: "Offline",
    noAgents: "No agents.",
    page: (n, of) => `Page ${n} of ${of}`,
    dayFirst: false,
    decimal: ".",
    group: ",",
    large: ["M", "B", "T"],
  },
  es: {
    title: "Informe del panel",
    period: "Período",
    periodNames: { today: "Hoy", week: "Esta semana", month: "Este mes", custom: "Personalizado" },
    timeZone: "Zona horaria",
    generatedAt: "Generado el",
    sections: {
      messages: "Mensajes",
      conversations: "Conversaciones",
      service: "Contactos y atención",
      times: "Tiempos de atención",
      charts: "Gráficos",
      agents: "Agentes",
    },
    inbound: "Mensajes recibidos",
    outbound: "Mensajes enviados",
    failed: "Mensajes fallidos",
    deliveryRate: "Tasa de entrega",
    readRate: "Tasa de lectura",
    delivered: (n) => `${n} entregados`,
    read: (n) => `${n} leídos`,
    ofSent: (p) => `${p} de los enviados`,
    conversationsNew: "Conversaciones nuevas",
    conversationsResolved: "Conversaciones resueltas",
    resolutionRate: "Tasa de resolución",
    conversationsActive: "Conversaciones activas",
    conversationsWaiting: "Conversaciones en espera",
    contactsNew: "Contactos nuevos",
    contactsTotal: "Total de contactos",
    perConversation: "Mensajes por conversación",
    byAgent: "Atendidas por agentes",
    byBot: "Atendidas por el bot",
    ofHandled: (p) => `${p} de las atendidas`,
    firstResponse: "Primera respuesta",
    resolutionTime: "Tiempo de resolución",
    average: "Promedio",
    median: "Mediana",
    p95: "P95",
    sample: "Conversaciones",
    intervals: { hourly: "Por hora", daily: "Por día", weekly: "Por semana" },
    aggregates: { count: "total", avg: "promedio" },
    total: "Total",
    noData: "Sin datos",
    noCharts: "No hay gráficos en este informe.",
    agent: "Agente",
    status: "Estado",
    activeConversations: "Conversaciones activas",
    capacity: "Capacidad",
    load: "Ocupación",
    online: "En línea",
    offline: "Desconectado",
    noAgents: "No hay agentes.",
    page: (n, of) => `Página ${n} de ${of}`,
    dayFirst: true,
    decimal: ",",
    group: ".",
    large: [" M", " mil M", " B"],
  },
};

/** The labels for `locale`; "pt"/"pt-PT" get Brazilian Portuguese, anything unknown English. */
function labelsFor(locale: string): Labels {
  if (Object.hasOwn(LABELS, locale)) return LABELS[locale as ReportLocale];
  const language = String(locale).toLowerCase().split(/[-_]/)[0];
  return language === "pt" ? LABELS["pt-BR"] : language === "es" ? LABELS.es : LABELS.en;
}

// ---------------------------------------------------------------------------------------------
// Numbers, durations, dates
// ---------------------------------------------------------------------------------------------

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** `n` with `decimals` places and the locale's separators: 12.345,6 (pt-BR), 12,345.6 (en). */
function formatNumber(n: number | null | undefined, decimals: number, L: Labels): string {
  if (!isNum(n)) return "—";
  const neg = n < 0;
  const abs = Math.abs(n);
  if (abs >= 1e15) {
    // Beyond what anyone counts: a mantissa and a power of ten, not 16+ digits.
    const [m, e] = abs.toExponential(2).split("e");
    return `${neg ? "-" : ""}${m.replace(".", L.decimal)}e${Number(e)}`;
  }
  const [int, frac] = abs.toFixed(decimals).split(".");
  let grouped = "";
  for (let i = 0; i < int.length; i++) {
    if (i > 0 && (int.length - i) % 3 === 0) grouped += L.group;
    grouped += int[i];
  }
  const zero = Number(abs.toFixed(decimals)) === 0;
  return `${neg && !zero ? "-" : ""}${grouped}${frac ? L.decimal + frac : ""}`;
}

const formatCount = (n: number | null | undefined, L: Labels) => formatNumber(n, 0, L);

/** A 0..1 rate as a percentage with one decimal: "87,5%" (pt-BR, es), "87.5%" (en). */
const formatRate = (rate: number | null | undefined, L: Labels) =>
  isNum(rate) ? `${formatNumber(rate * 100, 1, L)}%` : "—";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Seconds, human-readable: "45 s", "4 min 10 s", "1 h 05 min", "2 d 03 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (!isNum(seconds)) return "—";
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  let out: string;
  if (s < 60) out = `${s} s`;
  else if (s < 3600) out = s % 60 ? `${Math.floor(s / 60)} min ${pad(s % 60)} s` : `${s / 60} min`;
  else if (s < 86_400) {
    s = Math.round(s / 60);
    out = s >= 1440 ? "1 d 00 h" : `${Math.floor(s / 60)} h ${pad(s % 60)} min`;
  } else {
    s = Math.round(s / 3600);
    out = `${Math.floor(s / 24)} d ${pad(s % 24)} h`;
  }
  return neg ? `-${out}` : out;
}

/** One line of WinAnsi text: `toWinAnsi` with newlines folded into spaces. */
function oneLine(text: unknown): string {
  return toWinAnsi(String(text ?? "")).replace(/\s*\n\s*/g, " ").trim();
}

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

const PAGE_W = 595.28; // A4 portrait
const PAGE_H = 841.89;
const MARGIN_X = 42;
const TOP = PAGE_H - 50;
const BOTTOM = 54;
const CONTENT_W = PAGE_W - 2 * MARGIN_X;

const INK = rgb(0.1, 0.1, 0.12);
const GREY = rgb(0.42, 0.42, 0.45);
const LIGHT = rgb(0.6, 0.6, 0.63);
const RULE = rgb(0.8, 0.8, 0.82);
const GRID = rgb(0.9, 0.9, 0.92);
const CARD_BG = rgb(0.965, 0.968, 0.975);
const ZEBRA = rgb(0.975, 0.975, 0.98);
const BRAND = rgb(0.05, 0.45, 0.28);
const ONLINE = rgb(0.1, 0.6, 0.3);
const OFFLINE = rgb(0.65, 0.65, 0.68);

const SECTION_COLORS = {
  messages: rgb(0.08, 0.33, 0.62),
  conversations: rgb(0.42, 0.25, 0.63),
  service: rgb(0.05, 0.45, 0.28),
};

const METRIC_COLORS: Record<string, Color> = {
  messages_inbound: rgb(0.13, 0.42, 0.75),
  messages_outbound: rgb(0.1, 0.55, 0.35),
  messages_failed: rgb(0.78, 0.2, 0.18),
  conversations_new: rgb(0.48, 0.3, 0.7),
  conversations_resolved: rgb(0.1, 0.55, 0.55),
  contacts_new: rgb(0.85, 0.5, 0.1),
  first_response_seconds: rgb(0.9, 0.45, 0.15),
};
const PALETTE = [rgb(0.13, 0.42, 0.75), rgb(0.1, 0.55, 0.35), rgb(0.48, 0.3, 0.7), rgb(0.9, 0.45, 0.15)];

class Pen {
  readonly #widths = new Map<number, number>();
  constructor(readonly font: PDFFont) {}

  /** Unkerned width (pdf-lib draws without kerning) of WinAnsi text. */
  width(text: string, size: number): number {
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let cw = this.#widths.get(code);
      if (cw === undefined) {
        cw = this.font.widthOfTextAtSize(String.fromCharCode(code), 1000);
        this.#widths.set(code, cw);
      }
      w += cw;
    }
    return (w * size) / 1000;
  }

  /** `text` cut to `max` wide, with an ellipsis when cut. */
  fit(text: string, size: number, max: number): string {
    if (this.width(text, size) <= max) return text;
    const limit = max - this.width("…", size);
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.width(text.slice(0, mid), size) <= limit) lo = mid;
      else hi = mid - 1;
    }
    return text.slice(0, lo).trimEnd() + "…";
  }

  /** Word wrap to at most `maxLines` lines `max` wide; the last one is cut with an ellipsis. */
  wrap(text: string, size: number, max: number, maxLines: number): string[] {
    const lines: string[] = [];
    let line = "";
    const words = text.split(/\s+/).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      const candidate = line ? `${line} ${words[i]}` : words[i];
      if (!line || this.width(candidate, size) <= max) {
        line = candidate;
        continue;
      }
      if (lines.length === maxLines - 1) {
        line = [line, ...words.slice(i)].join(" "); // cut with an ellipsis below
        break;
      }
      lines.push(line);
      line = words[i];
    }
    if (line || lines.length === 0) lines.push(line);
    return lines.map((l) => this.fit(l, size, max));
  }
}

class Writer {
  readonly pages: PDFPage[] = [];
  page!: PDFPage;
  /** Top of the free space on the page. */
  y = 0;

  constructor(readonly doc: PDFDocument, readonly R: Pen, readonly runningHeader: string) {
    this.newPage();
  }

  newPage() {
    this.page = this.doc.addPage([PAGE_W, PAGE_H]);
    this.pages.push(this.page);
    this.y = TOP;
    if (this.pages.length > 1) {
      this.text(this.R.fit(this.runningHeader, 8, CONTENT_W), MARGIN_X, PAGE_H - 34, this.R, 8, GREY);
      this.hline(PAGE_H - 40, MARGIN_X, PAGE_W - MARGIN_X, RULE);
      this.y = PAGE_H - 56;
    }
  }

  /** Starts a new page unless `height` more fits on this one. */
  need(height: number) {
    if (this.y - height < BOTTOM) this.newPage();
  }

  text(text: string, x: number, y: number, pen: Pen, size: number, color: Color) {
    if (text) this.page.drawText(text, { x, y, size, font: pen.font, color });
  }

  /** Text ending at `right`. */
  textRight(text: string, right: number, y: number, pen: Pen, size: number, color: Color) {
    this.text(text, right - pen.width(text, size), y, pen, size, color);
  }

  hline(y: number, x1: number, x2: number, color: Color, thickness = 0.5) {
    this.page.drawLine({ start: { x: x1, y }, end: { x: x2, y }, thickness, color });
  }

  rect(x: number, y: number, width: number, height: number, color: Color) {
    if (width > 0 && height > 0) this.page.drawRectangle({ x, y, width, height, color });
  }
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

/** A "nice" axis: 0 to `top` in steps of `step` (1, 2, 2.5 or 5 × 10^n), about five of them. */
export function niceScale(max: number, integer: boolean): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: integer ? 1 : 0.2 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = 10 * mag;
  for (const f of [1, 2, 2.5, 5]) {
    if (raw <= f * mag * (1 + 1e-9) && !(integer && !Number.isInteger(f * mag))) {
      step = f * mag;
      break;
    }
  }
  if (integer && step < 1) step = 1;
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  return { top, step };
}

/** The decimals `step` needs (0.25 → 2). */
function decimalsOf(step: number): number {
  let d = 0;
  while (d < 4 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-6 * 10 ** d) d++;
  return d;
}

/** Tick labels for 0..top: grouped digits, or "12 mi"/"12M" style once they get long. */
function tickFormatter(top: number, step: number, L: Labels): (v: number) => string {
  if (top >= 1e15) {
    const e = Math.floor(Math.log10(top));
    const d = decimalsOf(step / 10 ** e);
    return (v) => (v === 0 ? "0" : `${formatNumber(v / 10 ** e, Math.min(d, 2), L)}e${e}`);
  }
  if (top >= 1e6) {
    const k = top >= 1e12 ? 2 : top >= 1e9 ? 1 : 0;
    const div = 10 ** (6 + 3 * k);
    const d = decimalsOf(step / div);
    return (v) => (v === 0 ? "0" : `${formatNumber(v / div, d, L)}${L.large[k]}`);
  }
  const d = decimalsOf(step);
  return (v) => formatNumber(v, d, L);
}

/** How averages in seconds are drawn: as seconds, minutes, hours or days, by their size. */
function secondsScale(max: number): { div: number; unit: string } {
  if (max < 120) return { div: 1, unit: "s" };
  if (max < 2 * 3600) return { div: 60, unit: "min" };
  if (max < 3 * 86_400) return { div: 3600, unit: "h" };
  return { div: 86_400, unit: "d" };
}

const BUCKET_LABEL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?/;

interface ParsedLabel {
  year: number;
  month: number;
  day: number;
  hour: number | null;
  minute: number | null;
}

function parseLabel(label: string): ParsedLabel | null {
  const m = BUCKET_LABEL.exec(String(label ?? ""));
  if (!m) return null;
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] === undefined ? null : Number(m[4]),
    minute: m[5] === undefined ? null : Number(m[5]),
  };
}

const CHART_TITLE = 11;
const CHART_SUB = 8;
const PLOT_H = 130;
const X_LABELS = 14;
const CHART_BLOCK = 14 + 12 + 8 + PLOT_H + X_LABELS + 16;

interface ChartFonts {
  R: Pen;
  B: Pen;
  I: Pen;
}

function drawChart(w: Writer, c: ReportChart, index: number, L: Labels, f: ChartFonts) {
  const { R, B, I } = f;
  const buckets = Array.isArray(c.buckets) ? c.buckets : [];
  const n = buckets.length;
  const values = buckets.map((b) => (isNum(b.value) ? Math.max(0, b.value) : null));
  const max = values.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  const hasData = max > 0;
  const seconds = c.unit === "seconds";
  const scale = seconds ? secondsScale(max) : { div: 1, unit: "" };
  const color = METRIC_COLORS[c.metric] ?? PALETTE[index % PALETTE.length];

  w.need(CHART_BLOCK);
  const x0 = MARGIN_X;
  let y = w.y;

  // Title, and what the bars are.
  const total = !seconds && c.aggregate === "count" && hasData
    ? `${L.total}: ${formatCount(values.reduce<number>((s, v) => s + (v ?? 0), 0), L)}`
    : "";
  const totalW = B.width(total, 9);
  w.text(
    B.fit(oneLine(c.title || c.metric), CHART_TITLE, CONTENT_W - totalW - 12),
    x0,
    y - CHART_TITLE,
    B,
    CHART_TITLE,
    INK,
  );
  w.textRight(total, PAGE_W - MARGIN_X, y - CHART_TITLE, B, 9, GREY);
  y -= 14;
  const interval = Object.hasOwn(L.intervals, c.interval) ? L.intervals[c.interval] : String(c.interval);
  const aggregate = Object.hasOwn(L.aggregates, c.aggregate)
    ? L.aggregates[c.aggregate]
    : String(c.aggregate);
  const subtitle = `${interval} · ${aggregate}${seconds ? ` (${scale.unit})` : ""}`;
  w.text(R.fit(oneLine(subtitle), CHART_SUB, CONTENT_W), x0, y - CHART_SUB - 2, R, CHART_SUB, GREY);
  y -= 12 + 8;

  // Axes.
  const plotTop = y;
  const plotBottom = y - PLOT_H;
  // With values printed above the bars, the tallest needs room under the top of the plot.
  const labelled = n <= 24;
  const { top, step } = niceScale((max / scale.div) * (labelled ? 1.08 : 1), !seconds);
  const tick = tickFormatter(top, step, L);
  const ticks: { v: number; label: string }[] = [];
  if (hasData) {
    const count = Math.round(top / step);
    for (let i = 0; i <= count; i++) ticks.push({ v: i * step, label: tick(i * step) });
  }
  const tickW = Math.min(90, Math.max(R.width("0", 7), ...ticks.map((t) => R.width(t.label, 7))));
  const plotX = x0 + tickW + 6;
  const plotW = PAGE_W - MARGIN_X - plotX;
  const yOf = (v: number) => plotBottom + (Math.min(v, top) / top) * PLOT_H;

  for (const t of ticks) {
    const ty = yOf(t.v);
    if (t.v > 0) w.hline(ty, plotX, plotX + plotW, GRID, 0.5);
    w.textRight(R.fit(t.label, 7, tickW), plotX - 4, ty - 2.4, R, 7, GREY);
  }
  w.page.drawLine({
    start: { x: plotX, y: plotBottom },
    end: { x: plotX, y: plotTop },
    thickness: 0.6,
    color: LIGHT,
  });
  w.hline(plotBottom, plotX, plotX + plotW, LIGHT, 0.8);

  if (!hasData) {
    const text = oneLine(L.noData);
    w.text(
      text,
      plotX + (plotW - I.width(text, 10)) / 2,
      plotBottom + PLOT_H / 2 - 3,
      I,
      10,
      GREY,
    );
  }

  if (n > 0) {
    const slot = plotW / n;

    // Bars.
    if (hasData) {
      const barW = Math.max(0.25, slot * (n > 60 ? 0.85 : 0.65));
      values.forEach((v, i) => {
        if (v === null || v <= 0) return;
        const h = Math.max(0.6, yOf(v / scale.div) - plotBottom);
        w.rect(plotX + slot * i + (slot - barW) / 2, plotBottom, barW, h, color);
      });
      // The values above the bars, when there is room for them.
      if (labelled) {
        const d = seconds && scale.div > 1
          ? 1
          : values.every((v) => v === null || Number.isInteger(v))
          ? 0
          : 1;
        const texts = values.map((v) => (v === null ? "" : formatNumber(v / scale.div, d, L)));
        if (texts.every((t) => R.width(t, 6.5) <= slot - 1)) {
          values.forEach((v, i) => {
            if (v === null || v <= 0) return;
            const t = texts[i];
            const ty = yOf(v / scale.div) + 2;
            w.text(t, plotX + slot * i + (slot - R.width(t, 6.5)) / 2, ty, R, 6.5, GREY);
          });
        }
      }
    }

    // X labels, thinned so they do not touch.
    const parsed = buckets.map((b) => parseLabel(b.label));
    const years = new Set(parsed.map((p) => p?.year));
    const days = new Set(parsed.map((p) => (p ? `${p.year}-${p.month}-${p.day}` : "")));
    const shortDate = (p: ParsedLabel) =>
      years.size > 1
        ? (L.dayFirst
          ? `${pad(p.day)}/${pad(p.month)}/${pad(p.year, 4)}`
          : `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`)
        : (L.dayFirst ? `${pad(p.day)}/${pad(p.month)}` : `${pad(p.month)}-${pad(p.day)}`);
    const hourly = c.interval === "hourly" && parsed.every((p) => p !== null && p.hour !== null);
    const multiDay = days.size > 1;
    const raw = (i: number) => oneLine(buckets[i].label);

    const chosen: { i: number; text: string }[] = [];
    if (hourly) {
      const hourText = (p: ParsedLabel) => `${pad(p.hour!)}:${pad(p.minute!)}`;
      const widest = Math.max(R.width("00:00", 7), multiDay ? R.width(shortDate(parsed[0]!), 7) : 0);
      const fits = Math.max(1, Math.floor(plotW / (widest + 8)));
      const steps = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 672];
      const every = steps.find((s) => n / s <= fits) ?? Math.ceil(n / fits / 24) * 24;
      let day = -1;
      let lastDay = "";
      parsed.forEach((p, i) => {
        const key = `${p!.year}-${p!.month}-${p!.day}`;
        if (key !== lastDay) {
          lastDay = key;
          day++;
        }
        if (every >= 24) {
          if (p!.hour === 0 && p!.minute === 0 && day % (every / 24) === 0) {
            chosen.push({ i, text: shortDate(p!) });
          }
        } else if (p!.minute === 0 && p!.hour! % every === 0) {
          chosen.push({ i, text: multiDay && p!.hour === 0 ? shortDate(p!) : hourText(p!) });
        }
      });
      if (chosen.length === 0) {
        chosen.push({ i: 0, text: multiDay ? shortDate(parsed[0]!) : hourText(parsed[0]!) });
      }
    } else {
      const texts = parsed.map((p, i) => (p ? shortDate(p) : raw(i)));
      const widest = texts.reduce((m, t) => Math.max(m, R.width(t, 7)), 0);
      const fits = Math.max(1, Math.floor(plotW / (Math.min(widest, plotW) + 8)));
      const every = Math.max(1, Math.ceil(n / fits));
      for (let i = 0; i < n; i += every) chosen.push({ i, text: texts[i] });
    }
    let right = -Infinity;
    for (const { i, text } of chosen) {
      const t = R.fit(text, 7, plotW);
      const tw = R.width(t, 7);
      const center = plotX + slot * (i + 0.5);
      const left = Math.min(Math.max(center - tw / 2, MARGIN_X), PAGE_W - MARGIN_X - tw);
      if (left < right + 4) continue;
      w.page.drawLine({
        start: { x: center, y: plotBottom },
        end: { x: center, y: plotBottom - 2.5 },
        thickness: 0.5,
        color: LIGHT,
      });
      w.text(t, left, plotBottom - 11, R, 7, GREY);
      right = left + tw;
    }
  }

  w.y = plotBottom - X_LABELS - 16;
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

interface Card {
  label: string;
  value: string;
  sub?: string;
}

const CARD_COLS = 5;
const CARD_GAP = 8;
const CARD_W = (CONTENT_W - CARD_GAP * (CARD_COLS - 1)) / CARD_COLS;
const CARD_H = 56;
const CARD_PAD = 7;
const SECTION_HEAD = 22;

/**
 * The dashboard report as an A4 PDF: a header (tenant, period and generation time in the
 * tenant's zone), KPI cards, a table of service times, every chart drawn as a bar chart, then the
 * agents. Labels, numbers and dates follow the report's locale (pt-BR, en, es). Drawn with the
 * standard Helvetica fonts, so text is reduced to WinAnsi (see `toWinAnsi`).
 */
export async function reportPdf(r: DashboardReport): Promise<Uint8Array> {
  const L = labelsFor(r.locale);
  const zone = resolveTimeZone(r.timeZone);
  const date = (d: Date, time: boolean): string => {
    const z = zonedTime(d, zone);
    if (!z) return "—";
    const day = L.dayFirst
      ? `${pad(z.day)}/${pad(z.month)}/${pad(z.year, 4)}`
      : `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}`;
    return time ? `${day} ${pad(z.hour)}:${pad(z.minute)}` : day;
  };
  const midnight = (d: Date) => {
    const z = zonedTime(d, zone);
    return z !== null && z.hour === 0 && z.minute === 0 && z.second === 0;
  };

  const doc = await PDFDocument.create();
  const [regular, bold, italic] = await Promise.all([
    doc.embedFont(StandardFonts.Helvetica),
    doc.embedFont(StandardFonts.HelveticaBold),
    doc.embedFont(StandardFonts.HelveticaOblique),
  ]);
  const R = new Pen(regular);
  const B = new Pen(bold);
  const I = new Pen(italic);

  // The period: whole days as dates ("01/11/2026 – 26/11/2026", the end inclusive), else instants.
  const { from, to } = r.period;
  let range: string;
  if (midnight(from) && midnight(to) && to.getTime() > from.getTime()) {
    const last = new Date(to.getTime() - 1);
    range = date(from, false) === date(last, false)
      ? date(from, false)
      : `${date(from, false)} – ${date(last, false)}`;
  } else {
    range = `${date(from, true)} – ${date(to, true)}`;
  }
  const periodName = Object.hasOwn(L.periodNames, r.period.name) ? L.periodNames[r.period.name] : "";
  const periodText = periodName ? `${periodName} · ${range}` : range;
  const offset = zonedTime(r.period.to, zone)?.offsetMinutes ?? zonedTime(r.generatedAt, zone)?.offsetMinutes;
  const zoneText = offset === undefined ? zone : `${zone} (UTC${formatOffset(offset)})`;
  const tenant = oneLine(r.tenantName);

  doc.setTitle(oneLine(`${L.title} — ${r.tenantName}`), { showInWindowTitleBar: true });
  doc.setAuthor(tenant);
  doc.setSubject(oneLine(`${L.period}: ${periodText} (${zone})`));
  doc.setCreator("PyTake Edge");
  doc.setProducer("PyTake Edge (pdf-lib)");
  doc.setLanguage(r.locale);
  if (isNum(r.generatedAt?.getTime())) {
    doc.setCreationDate(r.generatedAt);
    doc.setModificationDate(r.generatedAt);
  }

  const w = new Writer(doc, R, oneLine(`${L.title} · ${r.tenantName} · ${periodText}`));

  // Header.
  w.rect(MARGIN_X, w.y - 3, 28, 3, BRAND);
  w.y -= 8;
  w.text(B.fit(oneLine(L.title), 20, CONTENT_W), MARGIN_X, w.y - 18, B, 20, INK);
  w.y -= 26;
  w.text(B.fit(tenant, 12, CONTENT_W), MARGIN_X, w.y - 12, B, 12, GREY);
  w.y -= 22;
  const info: [string, string][] = [
    [L.period, periodText],
    [L.timeZone, zoneText],
    [L.generatedAt, date(r.generatedAt, true)],
  ];
  const infoX = MARGIN_X + 8 + Math.max(...info.map(([k]) => B.width(oneLine(k), 9)));
  for (const [k, v] of info) {
    w.text(oneLine(k), MARGIN_X, w.y - 10, B, 9, GREY);
    w.text(R.fit(oneLine(v), 10, PAGE_W - MARGIN_X - infoX), infoX, w.y - 10, R, 10, INK);
    w.y -= 14;
  }
  w.y -= 6;
  w.hline(w.y, MARGIN_X, PAGE_W - MARGIN_X, RULE);
  w.y -= 10;

  const section = (title: string, keepWith: number) => {
    w.need(SECTION_HEAD + keepWith);
    w.text(B.fit(oneLine(title), 12, CONTENT_W), MARGIN_X, w.y - 13, B, 12, INK);
    w.y -= SECTION_HEAD;
  };

  const cards = (title: string, items: Card[], accent: Color) => {
    section(title, CARD_H);
    for (let row = 0; row * CARD_COLS < items.length; row++) {
      if (row > 0) w.need(CARD_H);
      const top = w.y;
      items.slice(row * CARD_COLS, (row + 1) * CARD_COLS).forEach((c, col) => {
        const x = MARGIN_X + col * (CARD_W + CARD_GAP);
        const inner = CARD_W - 2 * CARD_PAD;
        w.rect(x, top - CARD_H, CARD_W, CARD_H, CARD_BG);
        w.rect(x, top - CARD_H, 2.5, CARD_H, accent);
        R.wrap(oneLine(c.label), 7.5, inner, 2).forEach((l, i) => {
          w.text(l, x + CARD_PAD, top - 12 - i * 9, R, 7.5, GREY);
        });
        const value = oneLine(c.value);
        let size = 15;
        while (size > 8 && B.width(value, size) > inner) size -= 0.5;
        w.text(B.fit(value, size, inner), x + CARD_PAD, top - 40, B, size, INK);
        if (c.sub) w.text(R.fit(oneLine(c.sub), 7, inner), x + CARD_PAD, top - 50, R, 7, GREY);
      });
      w.y = top - CARD_H - CARD_GAP;
    }
    w.y -= 6;
  };

  // KPIs.
  const msg = r.metrics.messages;
  const conv = r.metrics.conversations;
  const k = r.kpis;
  const share = (part: number, whole: number) => (whole > 0 && isNum(part) ? part / whole : null);
  cards(L.sections.messages, [
    { label: L.inbound, value: formatCount(msg.inbound, L) },
    { label: L.outbound, value: formatCount(msg.outbound, L) },
    {
      label: L.failed,
      value: formatCount(msg.failed, L),
      sub: isNum(share(msg.failed, msg.outbound))
        ? L.ofSent(formatRate(share(msg.failed, msg.outbound), L))
        : "",
    },
    {
      label: L.deliveryRate,
      value: formatRate(msg.delivery_rate, L),
      sub: L.delivered(formatCount(msg.delivered, L)),
    },
    { label: L.readRate, value: formatRate(msg.read_rate, L), sub: L.read(formatCount(msg.read, L)) },
  ], SECTION_COLORS.messages);
  cards(L.sections.conversations, [
    { label: L.conversationsNew, value: formatCount(conv.new, L) },
    { label: L.conversationsResolved, value: formatCount(conv.resolved, L) },
    { label: L.resolutionRate, value: formatRate(k.resolution_rate, L) },
    { label: L.conversationsActive, value: formatCount(conv.active, L) },
    { label: L.conversationsWaiting, value: formatCount(conv.waiting, L) },
  ], SECTION_COLORS.conversations);
  const handled = (isNum(k.handled_by.agent) ? k.handled_by.agent : 0) +
    (isNum(k.handled_by.bot) ? k.handled_by.bot : 0);
  const handledSub = (n: number) => {
    const s = share(n, handled);
    return s === null ? "" : L.ofHandled(formatRate(s, L));
  };
  cards(L.sections.service, [
    { label: L.contactsNew, value: formatCount(r.metrics.contacts.new, L) },
    { label: L.contactsTotal, value: formatCount(r.metrics.contacts.total, L) },
    { label: L.perConversation, value: formatNumber(k.messages_per_conversation, 1, L) },
    { label: L.byAgent, value: formatCount(k.handled_by.agent, L), sub: handledSub(k.handled_by.agent) },
    { label: L.byBot, value: formatCount(k.handled_by.bot, L), sub: handledSub(k.handled_by.bot) },
  ], SECTION_COLORS.service);

  // Service times.
  {
    const rowH = 17;
    section(L.sections.times, rowH * 3);
    const cols = [L.average, L.median, L.p95, L.sample].map(oneLine);
    const colW = 82;
    const rightOf = (i: number) => PAGE_W - MARGIN_X - (cols.length - 1 - i) * colW - 6;
    const labelW = rightOf(0) - colW - MARGIN_X;
    let y = w.y;
    cols.forEach((c, i) => w.textRight(B.fit(c, 8.5, colW - 8), rightOf(i), y - 11, B, 8.5, GREY));
    y -= rowH;
    w.hline(y, MARGIN_X, PAGE_W - MARGIN_X, RULE);
    const rows: [string, DurationStats][] = [
      [L.firstResponse, k.first_response_seconds],
      [L.resolutionTime, k.resolution_seconds],
    ];
    rows.forEach(([name, d], ri) => {
      if (ri % 2 === 1) w.rect(MARGIN_X, y - rowH, CONTENT_W, rowH, ZEBRA);
      w.text(B.fit(oneLine(name), 9.5, labelW), MARGIN_X + 4, y - 12, B, 9.5, INK);
      const cells = [formatDuration(d?.average), formatDuration(d?.median), formatDuration(d?.p95)]
        .concat(formatCount(d?.count, L));
      cells.forEach((c, i) => w.textRight(R.fit(c, 9.5, colW - 8), rightOf(i), y - 12, R, 9.5, INK));
      y -= rowH;
    });
    w.hline(y, MARGIN_X, PAGE_W - MARGIN_X, RULE);
    w.y = y - 18;
  }

  // Charts.
  const charts = Array.isArray(r.charts) ? r.charts : [];
  section(L.sections.charts, charts.length ? CHART_BLOCK : 14);
  if (charts.length === 0) {
    w.text(oneLine(L.noCharts), MARGIN_X, w.y - 10, I, 10, GREY);
    w.y -= 24;
  }
  charts.forEach((c, i) => drawChart(w, c, i, L, { R, B, I }));

  // Agents.
  {
    const rowH = 16;
    const agents = Array.isArray(r.agents) ? r.agents : [];
    const numW = [96, 70, 64];
    const statusW = 78;
    const nameW = CONTENT_W - statusW - numW.reduce((a, b) => a + b, 0);
    const statusX = MARGIN_X + nameW;
    const rightOf = (i: number) => statusX + statusW + numW.slice(0, i + 1).reduce((a, b) => a + b, 0) - 4;
    const header = () => {
      const y = w.y;
      w.text(B.fit(oneLine(L.agent), 8.5, nameW - 8), MARGIN_X + 4, y - 11, B, 8.5, GREY);
      w.text(B.fit(oneLine(L.status), 8.5, statusW - 4), statusX, y - 11, B, 8.5, GREY);
      [L.activeConversations, L.capacity, L.load].forEach((c, i) =>
        w.textRight(B.fit(oneLine(c), 8.5, numW[i] - 8), rightOf(i), y - 11, B, 8.5, GREY)
      );
      w.y -= rowH;
      w.hline(w.y, MARGIN_X, PAGE_W - MARGIN_X, RULE);
    };
    section(L.sections.agents, rowH * 2);
    if (agents.length === 0) {
      w.text(oneLine(L.noAgents), MARGIN_X, w.y - 10, I, 10, GREY);
      w.y -= 20;
    } else {
      header();
      agents.forEach((a, i) => {
        if (w.y - rowH < BOTTOM) {
          w.newPage();
          header();
        }
        const y = w.y;
        if (i % 2 === 1) w.rect(MARGIN_X, y - rowH, CONTENT_W, rowH, ZEBRA);
        w.text(R.fit(oneLine(a.name) || "—", 9.5, nameW - 10), MARGIN_X + 4, y - 11.5, R, 9.5, INK);
        w.page.drawCircle({ x: statusX + 3, y: y - 8.3, size: 2.6, color: a.online ? ONLINE : OFFLINE });
        const status = oneLine(a.online ? L.online : L.offline);
        w.text(R.fit(status, 9, statusW - 14), statusX + 9, y - 11.5, R, 9, a.online ? INK : GREY);
        const load = isNum(a.capacity) && a.capacity > 0 && isNum(a.active_conversations)
          ? `${formatNumber((a.active_conversations / a.capacity) * 100, 0, L)}%`
          : "—";
        [formatCount(a.active_conversations, L), formatCount(a.capacity, L), load].forEach((c, ci) =>
          w.textRight(R.fit(c, 9.5, numW[ci] - 8), rightOf(ci), y - 11.5, R, 9.5, INK)
        );
        w.y -= rowH;
      });
      w.hline(w.y, MARGIN_X, PAGE_W - MARGIN_X, RULE);
    }
  }

  // Footers, now that the page count is known.
  drawFooters(w.pages, {
    left: R.fit(oneLine(`PyTake Edge · ${r.tenantName}`), 8, CONTENT_W / 2),
    pageLabel: (i, n) => oneLine(L.page(i, n)),
    font: regular,
    width: (text, size) => R.width(text, size),
    marginX: MARGIN_X,
  });

  return await doc.save();
}
