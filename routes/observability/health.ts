import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import type { App } from "../../src/app.ts";
import { TAG } from "./tag.ts";

export const HealthResponse = z.object({
  status: z.literal("ok"),
  version: z.string().openapi({ example: "0.1.0" }),
  environment: z.enum(["development", "test", "production"]),
  uptime_seconds: z.number().int(),
  time: z.string().openapi({ format: "date-time" }),
}).openapi("Health");

export const route = defineRoute({ public: true }, {
  method: "get",
  path: "/observability/health",
  tags: [TAG],
  operationId: "getHealth",
  summary: "Service health and version",
  description: "Answers 200 while the process can serve requests. Needs no credentials.",
  responses: { 200: jsonContent(HealthResponse, "The process is up.") },
});

export const registerHealth = (app: App) =>
  app.openapi(route, (c) => {
    const { config, obs, clock } = c.get("services");
    return c.json({
      status: "ok" as const,
      version: config.version,
      environment: config.env,
      uptime_seconds: Math.round((Date.now() - obs.metrics.startedAt) / 1000),
      time: clock.now().toISOString(),
    }, 200);
  });
