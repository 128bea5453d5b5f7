import type { PGlite } from "@electric-sql/pglite";
import { createApp } from "../src/app.ts";
import { parseConfig } from "../src/config.ts";
import { createObservability } from "../src/observability/observability.ts";
import { assembleServices } from "../src/platform/assemble-services.ts";
import { openPglite } from "../src/platform/db/pglite.ts";
import { LocalRealtime } from "../src/platform/realtime/local-realtime.ts";
import { plans } from "../src/tenants/plans.ts";

/**
 * The whole app in this process on an in-memory PGlite, for benchmarks that time routes against
 * the SQL they run (no HTTP in between: the difference is our code). Logging at the production
 * level, written nowhere; plan limits lifted so the load never turns into 429s.
 */
export async function inProcessApp(env: Record<string, string> = {}) {
  const config = parseConfig({
    APP_ENV: "production",
    DATABASE_URL: "memory://",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    ENCRYPTION_KEY: "0".repeat(64),
    LOG_LEVEL: "info",
    AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
    ...env,
  });
  const obs = createObservability({ level: "info", sink: () => {} });
  const database = await openPglite("memory://");
  const services = assembleServices(config, database, obs, { realtime: new LocalRealtime() });
  const app = createApp(services);
  plans.starter.limits.api_requests_per_minute = 1_000_000_000;
  const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
  const call = (path: string, init: RequestInit = {}) =>
    app.request(path, init, { clientIp: "127.0.0.1" }, ctx);
  const register = async (email: string) => {
    const res = await call("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "Bench-password-1", name: "Bench", tenant_name: "Bench ISP" }),
    });
    const b = await res.json();
    return { token: b.token as string, tenantId: b.user.tenant.id as string };
  };
  const addSandboxNumber = async (token: string): Promise<{ id: string }> =>
    await (await call("/api/v1/whatsapp-configs", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ api_type: "sandbox", name: "Bench", phone_number: "+5511955551234" }),
    })).json();
  return { services, database, client: database.client as PGlite, app, call, register, addSandboxNumber };
}

/** `iterations` sequential calls, or fewer (at least 50) when they pass `budgetMs`; p50 and p99 in ms. */
export async function timeCalls(
  iterations: number,
  fn: (i: number) => Promise<unknown>,
  budgetMs = 20_000,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(5, iterations); i++) await fn(i); // warm the plan cache
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
    if (samples.length >= 50 && performance.now() - start > budgetMs) break;
  }
  const s = samples.sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99) };
}
