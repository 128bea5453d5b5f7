import { createUpstashRedis, UpstashKV } from "../../src/platform/kv/upstash-kv.ts";
import { UpstashRateLimiter } from "../../src/platform/rate-limit/upstash-rate-limiter.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { kvContract } from "../contracts/kv-contract.ts";
import { rateLimiterContract } from "../contracts/rate-limiter-contract.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";

/**
 * The production KV and rate-limit adapters through the Upstash REST stand-in over its
 * in-process Redis: what the workerd production test relies on, held to the same contracts the
 * integration suite runs over a real Redis.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function upstash() {
  const standIn = await startUpstashStandIn({ token: "memory-token", redis: "memory" });
  return { standIn, redis: createUpstashRedis({ url: standIn.url, token: "memory-token" }) };
}

Deno.test("KV contract: Upstash (REST stand-in over the in-process Redis)", async (t) => {
  const { standIn, redis } = await upstash();
  await kvContract(
    t,
    () => Promise.resolve({ kv: new UpstashKV(redis, "pytake:"), pass: sleep, close: () => standIn.close() }),
  );
});

Deno.test("rate limiter contract: @upstash/ratelimit (REST stand-in over the in-process Redis)", async (t) => {
  const { standIn, redis } = await upstash();
  const log = createObservability({ level: "silent" }).log;
  await rateLimiterContract(t, () =>
    Promise.resolve({
      limiter: new UpstashRateLimiter(redis, log),
      now: Date.now,
      pass: sleep,
      close: () => standIn.close(),
    }));
});
