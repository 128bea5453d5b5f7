import { sql } from "drizzle-orm";
import { createApp } from "../src/app.ts";
import { parseConfig } from "../src/config.ts";
import { uuidv7 } from "../src/core/ids.ts";
import { createObservability } from "../src/observability/observability.ts";
import { assembleServices } from "../src/platform/assemble-services.ts";
import { openPglite } from "../src/platform/db/pglite.ts";
import { LocalRealtime } from "../src/platform/realtime/local-realtime.ts";
import { webhookBody } from "../src/webhooks/deliver-webhooks.ts";
import { signatureHeader } from "../src/webhooks/webhook-signature.ts";
import { type BenchReport, startServer } from "./lib.ts";

/**
 * Outgoing webhook deliveries per second to a local receiver (its own process, answering 200
 * after reading the body): events published in the app and carried by the whole path (fan-out
 * to the endpoint, the delivery row, the job, the job runner's claim, the signed POST, the
 * attempt record) against the same signed POSTs sent straight from a loop with the runner's
 * concurrency (4).
 */
export async function webhooksBench(opts: { quick: boolean }): Promise<BenchReport> {
  const events = opts.quick ? 300 : 3000;
  const receiver = await startServer("bench/servers/bare-webhook.ts");
  const config = parseConfig({
    // Not production: the receiver is on loopback, which production refuses to call.
    APP_ENV: "test",
    DATABASE_URL: "memory://",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    ENCRYPTION_KEY: "0".repeat(64),
    LOG_LEVEL: "info",
    AUTH_RATE_LIMIT_PER_MINUTE: "1000000",
    ALLOW_PRIVATE_TARGETS: "true",
  });
  const obs = createObservability({ level: "info", sink: () => {} });
  const database = await openPglite("memory://");
  const services = assembleServices(config, database, obs, {
    realtime: new LocalRealtime(),
  });
  const app = createApp(services);
  const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
  const call = (path: string, init: RequestInit) => app.request(path, init, { clientIp: "127.0.0.1" }, ctx);
  const reg = await (await call("/api/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: "hooks@example.com",
      password: "Bench-password-1",
      name: "Bench",
      tenant_name: "Bench",
    }),
  })).json();
  const hook = await (await call("/api/v1/webhooks", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${reg.token}` },
    body: JSON.stringify({ url: `${receiver.url}/hook`, events: ["message.received"] }),
  })).json();
  const tenantId = reg.user.tenant.id as string;
  const data = (i: number) => ({
    message: { id: uuidv7(), body: `Mensagem ${i}: minha conexão caiu`, direction: "inbound", type: "text" },
  });

  // Baseline: the same signed POSTs from four loops.
  const bodies = Array.from({ length: events }, (_, i) =>
    JSON.stringify(webhookBody({
      id: uuidv7(),
      type: "message.received",
      createdAt: new Date().toISOString(),
      tenantId,
      data: data(i),
    })));
  let next = 0;
  const b0 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(`${receiver.url}/hook`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-pytake-signature": await signatureHeader(hook.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
      await res.arrayBuffer();
    }
  }));
  const baseMs = performance.now() - b0;

  // Candidate: events through the bus, then the runner until every delivery is done.
  const c0 = performance.now();
  for (let i = 0; i < events; i++) await services.events.publish("message.received", tenantId, data(i));
  const publishedMs = performance.now() - c0;
  await services.runner!.drain(100_000);
  const candMs = performance.now() - c0;
  const [done] = await services.database.rows<{ n: number }>(
    sql`select count(*)::int as n from webhook_deliveries where status = 'succeeded'`,
  );
  if (done.n !== events) throw new Error(`delivered ${done.n} of ${events}`);

  await services.runner?.stop();
  await database.close();
  await receiver.stop();
  const rate = (ms: number) => events / (ms / 1000);
  return {
    title: "Outgoing webhooks: deliveries per second to a local receiver",
    method: `${
      events.toLocaleString("en")
    } \`message.received\` events published in the app (embedded database, local job runner, concurrency 4) and delivered to a receiver in its own process that reads the body and answers 200; every delivery is stored, queued, claimed, signed, sent and recorded. Baseline: the same signed POSTs from four loops in one process.`,
    rows: [
      {
        metric: "deliveries/s",
        baseline: rate(baseMs).toFixed(0),
        candidate: rate(candMs).toFixed(0),
        ratio: (rate(candMs) / rate(baseMs)).toFixed(2),
      },
      { metric: "publishing the events (ms)", baseline: "", candidate: publishedMs.toFixed(0), ratio: "" },
    ],
    notes: [
      "Each delivery costs a handful of statements on the single PGlite connection (the delivery row, the job row, its claim, the attempt, the delivery and endpoint updates); with QStash in production the queueing and retries leave the database.",
    ],
  };
}
