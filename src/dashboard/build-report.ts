import { eq } from "drizzle-orm";
import { tenants } from "../../db/schema/index.ts";
import type { Services } from "../services.ts";
import type { Period } from "../tenants/period.ts";
import { tenantLanguage } from "../tenants/tenant-settings.ts";
import { chart, type ChartInterval } from "./charts.ts";
import { kpis } from "./kpis.ts";
import { agents } from "./live.ts";
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

/** Everything the exported report shows, computed like the routes that show it on screen. */
export async function buildReport(s: Services, tenantId: string, p: Period): Promise<DashboardReport> {
  const [tenant] = await s.database.db.select({ name: tenants.name, settings: tenants.settings }).from(
    tenants,
  )
    .where(eq(tenants.id, tenantId));
  const locale: ReportLocale = tenantLanguage(tenant?.settings);
  const interval = reportInterval(p);
  const charts: ReportChart[] = [];
  for (const c of CHARTS) {
    const series = await chart(s, tenantId, p, c.metric, interval);
    if (!series.ok) continue;
    charts.push({
      metric: c.metric,
      title: c.title[locale],
      interval,
      aggregate: series.value.aggregate,
      unit: c.unit,
      buckets: series.value.buckets.map((b) => ({ label: b.label, start: b.start, value: b.value })),
    });
  }
  const team = await agents(s, tenantId);
  return {
    tenantName: tenant?.name ?? "",
    locale,
    timeZone: p.timeZone,
    period: { name: p.name, from: p.from, to: p.to },
    generatedAt: s.clock.now(),
    metrics: {
      messages: await messageMetrics(s, tenantId, p),
      conversations: await conversationMetrics(s, tenantId, p),
      contacts: await contactMetrics(s, tenantId, p),
    },
    kpis: await kpis(s, tenantId, p),
    charts,
    agents: team.agents.map((a) => ({
      name: a.name,
      online: a.online,
      active_conversations: a.active_conversations,
      capacity: a.capacity,
    })),
  };
}
