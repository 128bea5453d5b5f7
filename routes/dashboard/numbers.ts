import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { alerts } from "../../src/dashboard/alerts.ts";
import { chart, chartIntervals, chartMetricNames } from "../../src/dashboard/charts.ts";
import { kpis } from "../../src/dashboard/kpis.ts";
import { agentRows, queue, team, thresholds } from "../../src/dashboard/live.ts";
import { metricGroups, metrics, periodView } from "../../src/dashboard/metrics.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { allReads, runReads } from "../../src/platform/db/reads.ts";
import { PeriodQuerySchema, resolvePeriod } from "../../src/tenants/period.ts";
import {
  BucketSchema,
  ContactMetrics,
  ConversationMetrics,
  KpisSchema,
  MessageMetrics,
  PeriodInfo,
  TAG,
} from "./schemas.ts";

export const overviewRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/overview",
  tags: [TAG],
  operationId: "dashboardOverview",
  summary: "The dashboard at a glance",
  description:
    "For the period (in the tenant's time zone): messages, conversations and contacts, the first-response and resolution medians; and now: the queue, agents online and open alerts by severity.",
  request: { query: PeriodQuerySchema },
  responses: {
    200: jsonContent(
      z.object({
        ...PeriodInfo,
        messages: MessageMetrics,
        conversations: ConversationMetrics,
        contacts: ContactMetrics,
        first_response_median_seconds: z.number().int().nullable(),
        resolution_median_seconds: z.number().int().nullable(),
        resolution_rate: z.number().nullable(),
        queue: z.object({
          waiting: z.number().int(),
          breached: z.number().int(),
          sla_minutes: z.number().int(),
        }),
        agents: z.object({ online: z.number().int(), total: z.number().int() }),
        alerts: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() }),
      }).openapi("DashboardOverview"),
      "Overview.",
    ),
  },
});

const MetricsQuery = PeriodQuerySchema.extend({
  metrics: z.string().max(200).default(metricGroups.join(",")).refine(
    (v) =>
      v.split(",").map((x) => x.trim()).filter(Boolean).every((x) =>
        (metricGroups as readonly string[]).includes(x)
      ),
    `A comma-separated list of ${metricGroups.join(", ")}`,
  ).openapi({ example: "messages,conversations" }),
});

export const metricsRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/metrics",
  tags: [TAG],
  operationId: "dashboardMetrics",
  summary: "Metrics of a period",
  description: "The groups asked for in `metrics`; each figure's definition is in its schema.",
  request: { query: MetricsQuery },
  responses: {
    200: jsonContent(
      z.object({
        ...PeriodInfo,
        messages: MessageMetrics.optional(),
        conversations: ConversationMetrics.optional(),
        contacts: ContactMetrics.optional(),
      }).openapi("DashboardMetrics"),
      "Metrics.",
    ),
  },
});

export const kpisRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/kpis",
  tags: [TAG],
  operationId: "dashboardKpis",
  summary: "Service KPIs",
  description:
    "First-response and resolution times (average, median, 95th percentile), resolution rate, messages per conversation, conversations handled by agents vs automation.",
  request: { query: PeriodQuerySchema },
  responses: { 200: jsonContent(KpisSchema.extend(PeriodInfo).openapi("DashboardKpis"), "KPIs.") },
});

export const chartRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/charts/{metric}",
  tags: [TAG],
  operationId: "dashboardChart",
  summary: "A metric over time",
  description:
    `Buckets covering the period, every one present (zero when nothing happened; null for an average with no data), in the tenant's time zone: calendar days and weeks (Monday) there, so daylight-saving days are 23 or 25 hours; hourly buckets are real hours (at most 31 days). Metrics: ${
      chartMetricNames.join(", ")
    }.`,
  request: {
    params: z.object({
      metric: z.string().max(64).openapi({
        param: { name: "metric", in: "path" },
        example: "messages_inbound",
      }),
    }),
    query: PeriodQuerySchema.extend({
      interval: z.enum(chartIntervals).default("daily"),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        ...PeriodInfo,
        metric: z.string(),
        interval: z.enum(chartIntervals),
        aggregate: z.enum(["count", "avg"]),
        buckets: z.array(BucketSchema),
      }).openapi("DashboardChart"),
      "The series.",
    ),
    404: problemResponse("No such metric."),
  },
});

export const registerDashboardNumbers = (app: App) => {
  // Every figure of a route in one batch; the tenant's zone and thresholds come with authentication.
  app.openapi(overviewRoute, async (c) => {
    const s = c.get("services");
    const tenantId = c.get("principal")!.tenantId!;
    const settings = c.get("tenant")?.settings;
    const period = unwrap(resolvePeriod(s, settings, c.req.valid("query")));
    const t = thresholds(settings);
    const now = s.clock.now();
    const [r, online] = await Promise.all([
      runReads(
        s.database,
        allReads({
          m: metrics(tenantId, period, metricGroups),
          k: kpis(tenantId, period),
          q: queue(tenantId, 0, t, now),
          people: agentRows(tenantId),
          open: alerts(tenantId, t, now),
        }),
      ),
      s.realtime.online(tenantId),
    ]);
    const { m, k, q, open } = r;
    const people = team(r.people, online, t);
    return c.json({
      ...periodView(period),
      messages: m.messages!,
      conversations: m.conversations!,
      contacts: m.contacts!,
      first_response_median_seconds: k.first_response_seconds.median,
      resolution_median_seconds: k.resolution_seconds.median,
      resolution_rate: k.resolution_rate,
      queue: { waiting: q.total, breached: q.breached, sla_minutes: q.sla_minutes },
      agents: { online: people.online, total: people.total },
      alerts: {
        critical: open.filter((a) => a.severity === "critical").length,
        warning: open.filter((a) => a.severity === "warning").length,
        info: open.filter((a) => a.severity === "info").length,
      },
    }, 200);
  });
  app.openapi(metricsRoute, async (c) => {
    const s = c.get("services");
    const tenantId = c.get("principal")!.tenantId!;
    const q = c.req.valid("query");
    const period = unwrap(resolvePeriod(s, c.get("tenant")?.settings, q));
    const groups = q.metrics.split(",").map((x) => x.trim()).filter(Boolean) as typeof metricGroups[number][];
    return c.json(
      { ...periodView(period), ...await runReads(s.database, metrics(tenantId, period, groups)) },
      200,
    );
  });
  app.openapi(kpisRoute, async (c) => {
    const s = c.get("services");
    const tenantId = c.get("principal")!.tenantId!;
    const period = unwrap(resolvePeriod(s, c.get("tenant")?.settings, c.req.valid("query")));
    return c.json({ ...periodView(period), ...await runReads(s.database, kpis(tenantId, period)) }, 200);
  });
  app.openapi(chartRoute, async (c) => {
    const s = c.get("services");
    const tenantId = c.get("principal")!.tenantId!;
    const q = c.req.valid("query");
    const period = unwrap(resolvePeriod(s, c.get("tenant")?.settings, q));
    const series = unwrap(chart(tenantId, period, c.req.valid("param").metric, q.interval));
    return c.json({ ...periodView(period), ...await runReads(s.database, series) }, 200);
  });
};
