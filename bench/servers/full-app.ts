/**
 * Candidate: the whole app (every middleware, the OpenAPI router with every route, PGlite in
 * memory) served exactly as the Deno entry serves it, with logging on at the production level
 * but written nowhere, so the benchmark measures the work, not the terminal.
 */
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { assembleServices } from "../../src/platform/assemble-services.ts";
import { openPglite } from "../../src/platform/db/pglite.ts";
import { LocalRealtime } from "../../src/platform/realtime/local-realtime.ts";

const config = parseConfig({
  APP_ENV: "production",
  DATABASE_URL: "memory://",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "info",
});
const obs = createObservability({ level: "info", sink: () => {} });
const database = await openPglite("memory://");
const services = assembleServices(config, database, obs, { realtime: new LocalRealtime() });
const app = createApp(services);
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(`PORT ${port}`) },
  (req, info) => app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }, ctx),
);
