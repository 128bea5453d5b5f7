import { z } from "@hono/zod-openapi";
import { erpCallOutcomes } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { erpMetrics, listLogs } from "../../src/erp/call-stats.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { ApiError } from "../../src/http/problem.ts";
import { erpTypeOf, tenantOf } from "./context.ts";
import { ErpTypeParam, LogSchema, MetricsSchema, TAG } from "./schemas.ts";

const Instant = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T00:00:00-03:00" });

export const logsRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/logs",
  tags: [TAG],
  operationId: "listErpLogs",
  summary: "Calls made to the ERP",
  description:
    "Every ERP call (and every answer served from cache instead): operation, endpoint (credentials redacted, CPFs masked), outcome, HTTP status, latency, attempt, the ERP's error. Newest first; kept after a disconnect.",
  request: {
    params: ErpTypeParam,
    query: PageQuery.extend({
      operation: z.string().max(40).optional().openapi({ example: "find_customers" }),
      outcome: z.string().max(200).optional().openapi({
        description: `Comma-separated: ${erpCallOutcomes.join(", ")}.`,
        example: "timeout,erp_error",
      }),
      errors_only: z.enum(["true", "false"]).optional(),
      request_id: z.string().max(100).optional(),
      from: Instant.optional(),
      to: Instant.optional(),
    }),
  },
  responses: { 200: jsonContent(pageOf(LogSchema), "The calls.") },
});

export const metricsRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/metrics",
  tags: [TAG],
  operationId: "getErpMetrics",
  summary: "ERP call metrics",
  description:
    "Per ERP over a window (default the last 24 hours): calls, errors, timeouts, error rate, p50/p95 latency, cache hits and hit rate of customer lookups and plans, and the circuit breaker's state now.",
  request: { query: z.object({ from: Instant.optional(), to: Instant.optional() }) },
  responses: { 200: jsonContent(MetricsSchema, "The figures.") },
});

export const registerErpObservabilityRoutes = (app: App) => {
  app.openapi(logsRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    const q = c.req.valid("query");
    const outcome = q.outcome?.split(",").map((o) => o.trim()).filter(Boolean);
    const unknown = outcome?.find((o) => !(erpCallOutcomes as readonly string[]).includes(o));
    if (unknown) {
      throw new ApiError("validation_failed", `Unknown outcome \`${unknown}\``, {
        errors: [{ path: "query.outcome", message: `One of ${erpCallOutcomes.join(", ")}` }],
      });
    }
    const { data, total } = await listLogs(c.get("services"), tenantOf(c), type, {
      ...q,
      outcome: outcome as typeof erpCallOutcomes[number][] | undefined,
      errors_only: q.errors_only === "true",
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    });
    return c.json(page(data, q, total), 200);
  });

  app.openapi(metricsRoute, async (c) => {
    const s = c.get("services");
    const q = c.req.valid("query");
    const to = q.to ? new Date(q.to) : s.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 86_400_000);
    if (from >= to) {
      throw new ApiError("validation_failed", "`from` must be before `to`", {
        errors: [{ path: "query.from", message: "Before `to`" }],
      });
    }
    const erps = await erpMetrics(s, tenantOf(c), from, to);
    return c.json({ window: { from: from.toISOString(), to: to.toISOString() }, erps }, 200);
  });
};
