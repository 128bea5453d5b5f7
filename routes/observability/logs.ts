import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { offsetOf, page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import type { App } from "../../src/app.ts";
import { TAG } from "./tag.ts";

export const LogLineSchema = z.object({
  ts: z.string().openapi({ format: "date-time" }),
  level: z.enum(["debug", "info", "warn", "error"]),
  service: z.string().openapi({ example: "http" }),
  msg: z.string().openapi({ example: "request" }),
}).catchall(z.unknown()).openapi("LogLine");

export const LogsQuery = PageQuery.extend({
  level: z.enum(["debug", "info", "warn", "error"]).optional().openapi({
    description: "Minimum level: `warn` returns warnings and errors.",
  }),
  service: z.string().max(64).optional().openapi({
    description: "Component that wrote the line: `http`, `jobs`, `mail`, `api`, …",
    example: "http",
  }),
});

export const route = defineRoute({ permission: "read:observability" }, {
  method: "get",
  path: "/observability/logs",
  tags: [TAG],
  operationId: "listLogs",
  summary: "Recent log lines",
  description:
    "The newest structured log lines of this process, newest first (the last 1,000 are kept), filtered by minimum `level` and by `service`.",
  request: { query: LogsQuery },
  responses: { 200: jsonContent(pageOf(LogLineSchema), "Log lines, newest first.") },
});

export const registerLogs = (app: App) =>
  app.openapi(route, (c) => {
    const q = c.req.valid("query");
    const all = c.get("services").obs.logs.query({
      level: q.level,
      service: q.service,
      limit: Number.MAX_SAFE_INTEGER,
    });
    return c.json(page(all.slice(offsetOf(q), offsetOf(q) + q.limit), q, all.length), 200);
  });
