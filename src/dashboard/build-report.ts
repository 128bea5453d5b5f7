import { eq } from "drizzle-orm";
import { tenants } from "../../db/schema/index.ts";
import { allReads, readQuery, type Reads, runReads } from "../platform/db/reads.ts";
import type { Services } from "../services.ts";
import type { Period } from "../tenants/period.ts";
import { tenantLanguage } from "../tenants/tenant-settings.ts";
import { chart, type ChartInterval, type ChartSeries } from "./charts.ts";
import { kpis } from "./kpis.ts";
import { agentRows, team, thresholds } from "./live.ts";
import { contactMetrics, conversationMetrics, messageMetrics } from "./metrics.ts";
import type { DashboardReport, ReportChart, ReportLocale } from "./report.ts";

const CHARTS: { metric: string; unit: "count" | "seconds"; title: Record<ReportLocale, string> }[] = [
  {
    metric: "messages_inbound",
    unit: "count",
    title: { "pt-BR": "Mensagens recebidas", en: "Messages received", es: "Mensajes recibidos" },
  },
  {
    metric: "messages_outbound",
    unit: "count",
    title: { "pt-BR": "Mensagens enviadas", en: "Messages sent", es: "Mensajes enviados" },
  },
  {
    metric: "conversations_new",
    unit: "count",
    title: { "pt-BR": "Conversas novas", en: "New conversations", es: "Conversaciones nuevas" },
  },
  {
    metric: "first_response_seconds",
    unit: "seconds",
    title: {
      "pt-BR": "Tempo de primeira resposta",
      en: "First-response time",
      es: "Tiempo de primera respuesta",
    },
  },
];

/** Hours for a day, days up to two months, weeks beyond. */
export function reportInterval(p: Period): ChartInterval {
  const days = (p.to.getTime() - p.from.getTime()) / 86_400_000;
  return days <= 1.05 ? "hourly" : days <= 62 ? "daily" : "weekly";
}

/**
 * Everything the exported report shows, computed like the routes that show it on screen, in one
 * batch (and the realtime port asked meanwhile for who is online).
 */
export async function buildReport(s: Services, tenantId: string, p: Period): Promise<DashboardReport> {
  const interval = reportInterval(p);
  const charts: Record<string, Reads<ChartSeries>> = {};
  for (const c of CHARTS) {
    const series = chart(tenantId, p, c.metric, interval);
    if (series.ok) charts[c.metric] = series.value;
  }
  const [r, online] = await Promise.all([
    runReads(
      s.database,
      allReads({
        tenant: readQuery((db) =>
          db.select({ name: tenants.name, settings: tenants.settings }).from(tenants).where(
            eq(tenants.id, tenantId),
          )
        ),
        charts: allReads(charts),
        people: agentRows(tenantId),
        messages: messageMetrics(tenantId, p),
        conversations: conversationMetrics(tenantId, p),
        contacts: contactMetrics(tenantId, p),
        kpis: kpis(tenantId, p),
      }),
    ),
    s.realtime.online(tenantId),
  ]);
  const [tenant] = r.tenant;
  const locale: ReportLocale = tenantLanguage(tenant?.settings);
  const reportCharts: ReportChart[] = CHARTS.filter((c) => r.charts[c.metric]).map((c) => {
    const series = r.charts[c.metric];
    return {
      metric: c.metric,
      title: c.title[locale],
      interval,
      aggregate: series.aggregate,
      unit: c.unit,
      buckets: series.buckets.map((b) => ({ label: b.label, start: b.start, value: b.value })),
    };
  });
  const people = team(r.people, online, thresholds(tenant?.settings));
  return {
    tenantName: tenant?.name ?? "",
    locale,
    timeZone: p.timeZone,
    period: { name: p.name, from: p.from, to: p.to },
    generatedAt: s.clock.now(),
    metrics: { messages: r.messages, conversations: r.conversations, contacts: r.contacts },
    kpis: r.kpis,
    charts: reportCharts,
    agents: people.agents.map((a) => ({
      name: a.name,
      online: a.online,
      active_conversations: a.active_conversations,
      capacity: a.capacity,
    })),
  };
}
