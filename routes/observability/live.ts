import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import type { App } from "../../src/app.ts";
import { TAG } from "./tag.ts";

export const route = defineRoute({ public: true }, {
  method: "get",
  path: "/observability/live",
  tags: [TAG],
  operationId: "getLiveness",
  summary: "Liveness probe",
  description: "Touches nothing outside the process: a failure means restart it.",
  responses: { 200: jsonContent(z.object({ status: z.literal("alive") }).openapi("Liveness"), "Alive.") },
});

export const registerLive = (app: App) =>
  app.openapi(route, (c) => c.json({ status: "alive" as const }, 200));
