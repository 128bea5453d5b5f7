import { createUpstashRedis, UpstashKV } from "../../src/platform/kv/upstash-kv.ts";
import { UpstashRateLimiter } from "../../src/platform/rate-limit/upstash-rate-limiter.ts";
import { createObservability } from "../../src/observability/observability.ts";
import type { UpstashStandIn } from "../support/upstash-standin.ts";
import { kvContract } from "./kv-contract.ts";
import { rateLimiterContract } from "./rate-limiter-contract.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The KV and rate-limit contracts on the production adapters, through an Upstash REST stand-in
 * that `start` opens (over a real Redis, or the in-process one) with token `token`.
 */
export function upstashAdapterContracts(
  label: string,
  start: () => Promise<{ standIn: UpstashStandIn; token: string }>,
): void {
  const open = async () => {
    const { standIn, token } = await start();
    return { standIn, redis: createUpstashRedis({ url: standIn.url, token }) };
  };
  Deno.test(`KV contract: Upstash (${label})`, async (t) => {
    const { standIn, redis } = await open();
    await kvContract(
      t,
      () =>
        Promise.resolve({ kv: new UpstashKV(redis, "pytake:"), pass: sleep, close: () => standIn.close() }),
    );
  });
  Deno.test(`rate limiter contract: @upstash/ratelimit (${label})`, async (t) => {
    const { standIn, redis } = await open();
    const log = createObservability({ level: "silent" }).log;
    await rateLimiterContract(t, () =>
      Promise.resolve({
        limiter: new UpstashRateLimiter(redis, log),
        now: Date.now,
        pass: sleep,
        close: () => standIn.close(),
      }));
  });
}
