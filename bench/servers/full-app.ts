/**
 * Candidate: the whole app (every middleware, the OpenAPI router with every route, PGlite in
 * memory) served exactly as the Deno entry serves it, with logging on at the production level
 * but written nowhere, so the benchmark measures the work, not the terminal.
 *
 * It also serves `GET /bench/authenticated`, the live probe's handler behind authentication, and
 * prints a signed-in user's token and credentials (`TOKEN …`, `LOGIN …`) for the auth benchmark.
 */
import { z } from "@hono/zod-openapi";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { assembleServices } from "../../src/platform/assemble-services.ts";
import { openPglite } from "../../src/platform/db/pglite.ts";
import { LocalRealtime } from "../../src/platform/realtime/local-realtime.ts";
import { plans } from "../../src/tenants/plans.ts";
import { configById } from "../../src/whatsapp/inbound/apply-events.ts";
import { simulateInbound } from "../../src/whatsapp/providers/sandbox-inbound.ts";
import { BENCH_NUMBER } from "./graph.ts";

const config = parseConfig({
  APP_ENV: "production",
  DATABASE_URL: "memory://",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "info",
  AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
  WHATSAPP_GRAPH_BASE_URL: Deno.env.get("BENCH_GRAPH_URL") ?? "https://graph.facebook.com",
  OBSERVABILITY_TOKEN: "bench-scrape-token",
});
const obs = createObservability({ level: "info", sink: () => {} });
const database = await openPglite("memory://");
const services = assembleServices(config, database, obs, { realtime: new LocalRealtime() });
const app = createApp(services);
app.openapi(
  defineRoute({ user: true }, {
    method: "get",
    path: "/bench/authenticated",
    tags: ["Bench"],
    operationId: "benchAuthenticated",
    summary: "The live probe behind authentication",
    responses: { 200: jsonContent(z.object({ status: z.literal("alive") }), "alive") },
  }),
  (c) => c.json({ status: "alive" as const }, 200),
);
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };

const email = "bench@example.com";
const password = "Bench-password-1";
const reg = await app.request(
  "/api/v1/auth/register",
  {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, name: "Bench", tenant_name: "Bench ISP" }),
  },
  { clientIp: "127.0.0.1" },
  ctx,
);
const { token } = await reg.json();
// The plan's limits would turn the load into 429s. The limiters still count every request (that
// work is part of what is measured); they just never say no.
plans.starter.limits.api_requests_per_minute = 1_000_000_000;
plans.starter.limits.messages_per_month = 1_000_000_000;

// A Meta number (its Graph API is BENCH_GRAPH_URL) with a customer who just wrote, so sends are
// inside the 24-hour window; its app secret signs the benchmark's webhooks.
const APP_SECRET = "bench_app_secret";
const CUSTOMER = "5511988887777";
const number = await (await app.request(
  "/api/v1/whatsapp-configs",
  {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      api_type: "official",
      name: "Bench",
      phone_number: "+5511955551234",
      phone_number_id: BENCH_NUMBER.phoneNumberId,
      access_token: BENCH_NUMBER.accessToken,
      app_secret: APP_SECRET,
      throughput_per_second: 1000,
    }),
  },
  { clientIp: "127.0.0.1" },
  ctx,
)).json();
await simulateInbound(services, (await configById(services, number.id))!, { from: CUSTOMER, text: "oi" });

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    // The parent reads the port from stdout.
    onListen: ({ port }) =>
      // deno-lint-ignore no-console
      console.log(
        `TOKEN ${token}\nLOGIN ${email} ${password}\nSECRET ${APP_SECRET}\nCUSTOMER ${CUSTOMER}\nPHONEID ${BENCH_NUMBER.phoneNumberId}\nPORT ${port}`,
      ),
  },
  (req, info) => app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }, ctx),
);
