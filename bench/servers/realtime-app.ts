/**
 * Candidate of the realtime benchmark: the whole app serving `GET /ws` as the Deno entry does
 * (authentication before the upgrade, permissions, subscriptions, presence, heartbeat sweep), on
 * PGlite in memory. `POST /bench/publish` hands its body to the realtime port as one event of the
 * `messages` channel; `GET /bench/stats` reports the open sockets. Prints a
 * tenant owner's access token (`TOKEN …`).
 */
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { uuidv7 } from "../../src/core/ids.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { assembleServices } from "../../src/platform/assemble-services.ts";
import { openPglite } from "../../src/platform/db/pglite.ts";
import { LocalRealtime } from "../../src/platform/realtime/local-realtime.ts";
import { plans } from "../../src/tenants/plans.ts";

const config = parseConfig({
  APP_ENV: "production",
  DATABASE_URL: "memory://",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "info",
  AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
});
const obs = createObservability({ level: "info", sink: () => {} });
const database = await openPglite("memory://");
const realtime = new LocalRealtime();
const services = assembleServices(config, database, obs, { realtime });
const app = createApp(services);

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };

const reg = await app.request(
  "/api/v1/auth/register",
  {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: "realtime-bench@example.com",
      password: "Bench-password-1",
      name: "Bench",
      tenant_name: "Bench ISP",
    }),
  },
  { clientIp: "127.0.0.1" },
  ctx,
);
const { token, user } = await reg.json();
const tenantId: string = user.tenant.id;
// Every handshake counts against the tenant's API limit; 10,000 sockets in a minute would be refused.
plans.starter.limits.api_requests_per_minute = 1_000_000_000;

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    // deno-lint-ignore no-console
    onListen: ({ port }) => console.log(`TOKEN ${token}\nPORT ${port}`),
  },
  async (req, info) => {
    const path = new URL(req.url).pathname;
    if (path === "/bench/publish" && req.method === "POST") {
      const data = await req.json();
      const t0 = performance.now();
      await realtime.publish({
        tenantId,
        channel: "messages",
        event: "message.received",
        data,
        id: uuidv7(),
        createdAt: new Date().toISOString(),
      });
      return Response.json({ sockets: realtime.size, ms: performance.now() - t0 });
    }
    if (path === "/bench/stats") return Response.json({ sockets: realtime.size });
    return app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }, ctx);
  },
);
