import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { offsetOf, page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import type { App } from "../../src/app.ts";
import { TAG } from "./tag.ts";

export const SpanSchema = z.object({
  trace_id: z.string().openapi({ example: "4bf92f3577b34da6a3ce929d0e0e4736" }),
  span_id: z.string().openapi({ example: "00f067aa0ba902b7" }),
  parent_span_id: z.string().nullable(),
  name: z.string().openapi({ example: "GET /api/v1/contacts" }),
  kind: z.enum(["server", "client", "internal"]),
  start_time: z.string().openapi({ format: "date-time" }),
  duration_ms: z.number(),
  status: z.enum(["ok", "error"]),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
}).openapi("Span");

export const TracesQuery = PageQuery.extend({
  trace_id: z.string().regex(/^[0-9a-f]{32}$/, "32 lowercase hex digits").optional(),
  status: z.enum(["ok", "error"]).optional(),
  min_duration_ms: z.coerce.number().min(0).optional(),
});

export const route = defineRoute({ permission: "read:observability" }, {
  method: "get",
  path: "/observability/traces",
  tags: [TAG],
  operationId: "listTraces",
  summary: "Recent request spans",
  description:
    "The newest request spans of this process, newest first (the last 500 are kept). A request carrying a W3C `traceparent` header continues that trace; every response carries the `traceparent` of its span.",
  request: { query: TracesQuery },
  responses: { 200: jsonContent(pageOf(SpanSchema), "Spans, newest first.") },
});

export const registerTraces = (app: App) =>
  app.openapi(route, (c) => {
    const q = c.req.valid("query");
    const all = c.get("services").obs.spans.query({
      traceId: q.trace_id,
      status: q.status,
      minDurationMs: q.min_duration_ms,
      limit: Number.MAX_SAFE_INTEGER,
    });
    return c.json(page(all.slice(offsetOf(q), offsetOf(q) + q.limit), q, all.length), 200);
  });
