import { strict as assert } from "node:assert";
import { PDFDocument } from "pdf-lib";
import { extractText, getDocumentProxy } from "unpdf";
import { CSV_BOM } from "../../src/core/csv.ts";
import type { DashboardReport, ReportBucket, ReportChart } from "../../src/dashboard/report.ts";
import { formatDuration, niceScale, reportPdf } from "../../src/dashboard/report-pdf.ts";
import { reportCsv } from "../../src/dashboard/report-csv.ts";

const DAY = 86_400_000;
// 2026-11-01 00:00 in São Paulo (UTC-3) to 2026-11-08 00:00: a week of whole days.
const FROM = new Date("2026-11-01T03:00:00Z");
const TO = new Date(FROM.getTime() + 7 * DAY);

function daily(values: (number | null)[]): ReportBucket[] {
  return values.map((value, i) => {
    const start = new Date(FROM.getTime() + i * DAY);
    return { label: `2026-11-${String(i + 1).padStart(2, "0")}`, start: start.toISOString(), value };
  });
}

/** `hours` hourly buckets from 2026-11-01 00:00 São Paulo, labelled on its wall clock. */
function hourly(hours: number, value: (i: number) => number | null): ReportBucket[] {
  return Array.from({ length: hours }, (_, i) => {
    const start = new Date(FROM.getTime() + i * 3_600_000);
    const wall = new Date(start.getTime() - 3 * 3_600_000).toISOString(); // UTC-3, no DST in 2026
    return {
      label: `${wall.slice(0, 10)} ${wall.slice(11, 16)}`,
      start: start.toISOString(),
      value: value(i),
    };
  });
}

function chart(metric: string, title: string, buckets: ReportBucket[], avg = false): ReportChart {
  return {
    metric,
    title,
    interval: "daily",
    aggregate: avg ? "avg" : "count",
    unit: avg ? "seconds" : "count",
    buckets,
  };
}

function report(locale: DashboardReport["locale"] = "pt-BR"): DashboardReport {
  return {
    tenantName: "Óticas São João, Ltda.",
    locale,
    timeZone: "America/Sao_Paulo",
    period: { name: "week", from: FROM, to: TO },
    generatedAt: new Date("2026-11-08T13:45:00Z"), // 10:45 in São Paulo
    metrics: {
      messages: {
        inbound: 12_345,
        outbound: 9_876,
        failed: 98,
        delivered: 8_642,
        read: 7_001,
        delivery_rate: 0.8751,
        read_rate: 0.7089,
      },
      conversations: { new: 1_234, resolved: 1_100, active: 42, waiting: 7 },
      contacts: { new: 321, total: 45_678 },
    },
    kpis: {
      first_response_seconds: { count: 1_050, average: 250, median: 240, p95: 3_900 },
      resolution_seconds: { count: 1_100, average: 5_400, median: 3_600, p95: 90_000 },
      resolution_rate: 0.8914,
      messages_per_conversation: 18.04,
      handled_by: { agent: 900, bot: 300 },
    },
    charts: [
      chart(
        "messages_inbound",
        "Mensagens recebidas por dia",
        daily([1_500, 1_800, 2_100, 1_950, 2_400, 1_300, 1_295]),
      ),
      chart(
        "messages_outbound",
        "Mensagens enviadas por dia",
        daily([1_200, 1_400, 1_700, 1_500, 1_900, 1_100, 1_076]),
      ),
      chart("conversations_new", "Conversas novas por dia", daily([150, 180, 210, 195, 240, 130, 129])),
      chart(
        "first_response_seconds",
        "Tempo médio de primeira resposta",
        daily([300, 250, null, 400, 180, 220, 260]),
        true,
      ),
    ],
    agents: [
      { name: "Ana Conceição", online: true, active_conversations: 4, capacity: 5 },
      { name: 'Souza, Bruno "Bru"', online: false, active_conversations: 0, capacity: 5 },
      { name: '=HYPERLINK("x")', online: true, active_conversations: 2, capacity: 0 },
    ],
  };
}

function emptyReport(): DashboardReport {
  const r = report();
  return {
    ...r,
    period: { name: "today", from: FROM, to: new Date(FROM.getTime() + 5 * 3_600_000) },
    metrics: {
      messages: {
        inbound: 0,
        outbound: 0,
        failed: 0,
        delivered: 0,
        read: 0,
        delivery_rate: null,
        read_rate: null,
      },
      conversations: { new: 0, resolved: 0, active: 0, waiting: 0 },
      contacts: { new: 0, total: 0 },
    },
    kpis: {
      first_response_seconds: { count: 0, average: null, median: null, p95: null },
      resolution_seconds: { count: 0, average: null, median: null, p95: null },
      resolution_rate: null,
      messages_per_conversation: null,
      handled_by: { agent: 0, bot: 0 },
    },
    charts: [
      chart("messages_inbound", "Mensagens recebidas por dia", []),
      chart("conversations_new", "Conversas novas por dia", daily([0, 0, 0])),
      chart("first_response_seconds", "Tempo médio de primeira resposta", daily([null, null]), true),
    ],
    agents: [],
  };
}

async function pdfText(pdf: Uint8Array): Promise<{ text: string; pages: number }> {
  const proxy = await getDocumentProxy(new Uint8Array(pdf));
  const { totalPages, text } = await extractText(proxy, { mergePages: true });
  return { text: text.replace(/\s+/g, " "), pages: totalPages };
}

async function assertValidPdf(pdf: Uint8Array): Promise<number> {
  assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
  const doc = await PDFDocument.load(pdf);
  return doc.getPageCount();
}

Deno.test("reportPdf: a Portuguese report with KPIs, charts and agents", async () => {
  const pdf = await reportPdf(report());
  const pageCount = await assertValidPdf(pdf);
  assert.ok(pageCount >= 2, `pages: ${pageCount}`);
  const doc = await PDFDocument.load(pdf);
  assert.equal(doc.getTitle(), "Relatório do painel — Óticas São João, Ltda.");
  assert.equal(doc.getAuthor(), "Óticas São João, Ltda.");

  const { text, pages } = await pdfText(pdf);
  assert.equal(pages, pageCount);
  for (
    const expected of [
      "Relatório do painel",
      "Óticas São João, Ltda.",
      // The period as whole days (the end is exclusive), the zone named, the generation time.
      "Esta semana · 01/11/2026 – 07/11/2026",
      "America/Sao_Paulo (UTC-03:00)",
      "08/11/2026 10:45",
      // KPI labels and values: grouped thousands, decimal-comma percentages, durations.
      "Mensagens recebidas",
      "12.345",
      "Mensagens enviadas",
      "9.876",
      "Mensagens com falha",
      "1,0% das enviadas",
      "Taxa de entrega",
      "87,5%",
      "8.642 entregues",
      "Taxa de leitura",
      "70,9%",
      "Conversas novas",
      "1.234",
      "Taxa de resolução",
      "89,1%",
      "Conversas aguardando",
      "Novos contatos",
      "45.678",
      "Mensagens por conversa",
      "18,0",
      "Atendidas por agentes",
      "75,0% das atendidas",
      "Atendidas pelo bot",
      "Tempos de atendimento",
      "Primeira resposta",
      "4 min 10 s",
      "4 min",
      "1 h 05 min",
      "Tempo de resolução",
      "1 h 30 min",
      "1 d 01 h",
      // Charts: titles, what the bars are, day labels, totals.
      "Gráficos",
      "Mensagens recebidas por dia",
      "Mensagens enviadas por dia",
      "Conversas novas por dia",
      "Tempo médio de primeira resposta",
      "Por dia · total",
      "Por dia · média (min)",
      "Total: 12.345",
      "01/11",
      "07/11",
      // Agents.
      "Atendentes",
      "Ana Conceição",
      'Souza, Bruno "Bru"',
      "Online",
      "Offline",
      "80%",
      `Página 1 de ${pageCount}`,
      `Página ${pageCount} de ${pageCount}`,
    ]
  ) {
    assert.ok(text.includes(expected), `missing ${JSON.stringify(expected)} in: ${text}`);
  }
  assert.ok(!text.includes("Sem dados"), "every chart has data");
  assert.ok(!/\b87\.5%/.test(text), "no decimal point in pt-BR");
});

Deno.test("reportPdf: English and Spanish labels and formats", async () => {
  const english = report("en");
  english.charts = english.charts.map((c) => ({ ...c, title: c.metric.replaceAll("_", " ") }));
  const en = await pdfText(await reportPdf(english));
  for (
    const expected of [
      "Dashboard report",
      "This week · 2026-11-01 – 2026-11-07",
      "2026-11-08 10:45",
      "Messages received",
      "12,345",
      "Delivery rate",
      "87.5%",
      "Failed messages",
      "First response",
      "4 min 10 s",
      "Handled by bot",
      "Daily · average (min)",
      "11-01",
      "Agents",
      "Page 1 of",
    ]
  ) {
    assert.ok(en.text.includes(expected), `missing ${JSON.stringify(expected)} in: ${en.text}`);
  }
  assert.ok(!en.text.includes("Mensagens"));
  assert.ok(!en.text.includes("Taxa de entrega"));
  assert.ok(!en.text.includes("Página"));

  const es = await pdfText(await reportPdf(report("es")));
  for (
    const expected of [
      "Informe del panel",
      "Mensajes recibidos",
      "87,5%",
      "Tasa de resolución",
      "Página 1 de",
    ]
  ) {
    assert.ok(es.text.includes(expected), `missing ${JSON.stringify(expected)} in: ${es.text}`);
  }
});

Deno.test("reportPdf: an empty report renders, charts say there is no data", async () => {
  const pdf = await reportPdf(emptyReport());
  await assertValidPdf(pdf);
  const { text } = await pdfText(pdf);
  assert.ok(text.includes("Relatório do painel"));
  assert.ok(text.includes("Hoje · 01/11/2026 00:00 – 01/11/2026 05:00"), text);
  assert.equal(text.match(/Sem dados/g)?.length, 3, text);
  assert.ok(text.includes("Nenhum atendente."));
  assert.ok(text.includes("—"), "unknown rates and durations are a dash");

  const noCharts = await pdfText(await reportPdf({ ...emptyReport(), charts: [] }));
  assert.ok(noCharts.text.includes("Nenhum gráfico neste relatório."));
});

Deno.test("reportPdf: 744 hourly buckets, huge numbers, odd text", async () => {
  const r = report();
  r.tenantName = "Loja 😊 “Central” 日本";
  r.period = { name: "custom", from: FROM, to: new Date(FROM.getTime() + 31 * DAY) };
  r.metrics.messages.inbound = 123_456_789_012_345;
  r.metrics.messages.outbound = 1e300;
  r.kpis.first_response_seconds.average = 1e12;
  r.charts = [
    {
      ...chart("messages_inbound", "Mensagens recebidas por hora", hourly(744, (i) => (i * 37) % 500)),
      interval: "hourly",
    },
    { ...chart("messages_outbound", "Enorme", hourly(48, (i) => (i % 5) * 2.5e13)), interval: "hourly" },
    {
      ...chart(
        "first_response_seconds",
        "Primeira resposta por hora",
        hourly(24, (i) => (i % 3 ? i * 400 : null)),
        true,
      ),
      interval: "hourly",
    },
    chart("weird", "Rótulos estranhos\nem duas linhas", [
      { label: "semana 1", start: FROM.toISOString(), value: 3 },
      { label: "", start: FROM.toISOString(), value: Number.NaN },
      { label: "2026-11-03", start: FROM.toISOString(), value: -4 },
    ]),
  ];
  r.agents = Array.from({ length: 80 }, (_, i) => ({
    name: `Atendente ${i + 1} ${"com um nome muito comprido ".repeat(i === 0 ? 10 : 0)}`,
    online: i % 3 === 0,
    active_conversations: i % 6,
    capacity: 5,
  }));
  const pdf = await reportPdf(r);
  const pages = await assertValidPdf(pdf);
  const { text } = await pdfText(pdf);
  assert.ok(text.includes("Loja ? “Central” ??"), text.slice(0, 300));
  assert.ok(text.includes("123.456.789.012.345"));
  assert.ok(text.includes("Mensagens recebidas por hora"));
  assert.ok(text.includes("01/11/2026 00:00 – 02/12/2026 00:00") || text.includes("01/11/2026 – 01/12/2026"));
  // Hourly labels over a month are days, thinned: far fewer than 744 and none repeated.
  const dayLabels = text.match(/\b\d\d\/(?:11|12)\b(?!\/)/g) ?? [];
  assert.ok(dayLabels.length > 3 && dayLabels.length < 60, `${dayLabels.length} day labels`);
  assert.ok(text.includes("Atendente 80"));
  assert.ok(text.includes(`Página ${pages} de ${pages}`));
});

Deno.test("formatDuration and niceScale", () => {
  assert.equal(formatDuration(null), "—");
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatDuration(45.4), "45 s");
  assert.equal(formatDuration(240), "4 min");
  assert.equal(formatDuration(250), "4 min 10 s");
  assert.equal(formatDuration(3_900), "1 h 05 min");
  assert.equal(formatDuration(86_399), "1 d 00 h");
  assert.equal(formatDuration(90_000), "1 d 01 h");
  assert.deepEqual(niceScale(2_400, true), { top: 2_500, step: 500 });
  assert.deepEqual(niceScale(3, true), { top: 3, step: 1 });
  assert.deepEqual(niceScale(6.67, false), { top: 8, step: 2 });
  assert.deepEqual(niceScale(0.7, false), { top: 0.8, step: 0.2 });
  assert.deepEqual(niceScale(11, true), { top: 15, step: 5 });
});

Deno.test("reportCsv: BOM, header, metrics, KPIs, charts, agents", () => {
  const r = report();
  const csv = reportCsv(r);
  assert.ok(csv.startsWith(CSV_BOM));
  const lines = csv.slice(CSV_BOM.length).split("\r\n");
  assert.equal(lines.pop(), "", "CRLF-terminated");
  assert.equal(lines[0], "section,metric,label,value");
  assert.ok(lines.includes('report,tenant,,"Óticas São João, Ltda."'));
  assert.ok(lines.includes("report,time_zone,,America/Sao_Paulo"));
  assert.ok(lines.includes("report,from,,2026-11-01T00:00:00-03:00"));
  assert.ok(lines.includes("metrics,messages.inbound,,12345"));
  assert.ok(lines.includes("metrics,messages.delivery_rate,,0.8751"));
  assert.ok(lines.includes("metrics,contacts.total,,45678"));
  assert.ok(lines.includes("kpis,first_response_seconds.median,,240"));
  assert.ok(lines.includes("kpis,resolution_rate,,0.8914"));
  assert.ok(lines.includes("kpis,handled_by.bot,,300"));
  for (const c of r.charts) {
    const rows = lines.filter((l) => l.startsWith(`chart:${c.metric},`));
    assert.equal(rows.length, c.buckets.length, c.metric);
  }
  assert.ok(lines.includes("chart:messages_inbound,daily,2026-11-01,1500"));
  assert.ok(lines.includes("chart:first_response_seconds,daily,2026-11-03,"), "null is an empty cell");
  assert.ok(lines.includes("agents,Ana Conceição,online,true"));
  assert.ok(lines.includes('agents,"Souza, Bruno ""Bru""",online,false'));
  assert.ok(lines.includes(`agents,"'=HYPERLINK(""x"")",capacity,0`), "formulas are defused");

  const empty = reportCsv(emptyReport()).slice(CSV_BOM.length).split("\r\n");
  assert.ok(empty.includes("metrics,messages.read_rate,,"));
  assert.ok(empty.includes("kpis,first_response_seconds.average,,"));
  assert.equal(empty.filter((l) => l.startsWith("chart:messages_inbound,")).length, 0);
  assert.equal(empty.filter((l) => l.startsWith("agents,")).length, 0);
});
