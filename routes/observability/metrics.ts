import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import type { App } from "../../src/app.ts";
import { TAG } from "./tag.ts";

export const route = defineRoute({ permission: "read:observability" }, {
  method: "get",
  path: "/observability/metrics",
  tags: [TAG],
  operationId: "getMetrics",
  summary: "Prometheus metrics",
  description:
    "Text exposition format 0.0.4: requests by route template, method and status, a latency histogram, jobs run and failed, events published. Needs a platform admin token or `OBSERVABILITY_TOKEN`. Counters are per process (per isolate on Workers).",
  responses: {
    200: {
      description: "Metrics in Prometheus text format.",
      content: {
        "text/plain": {
          schema: z.string().openapi({
            example: 'pytake_http_requests_total{method="GET",route="/observability/live",status="200"} 3',
          }),
        },
      },
    },
  },
});

export const registerMetrics = (app: App) =>
  app.openapi(route, (c) =>
    c.text(c.get("services").obs.metrics.render(), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    }));
