import { createUpstashRedis, UpstashKV } from "../../src/platform/kv/upstash-kv.ts";
import { UpstashRateLimiter } from "../../src/platform/rate-limit/upstash-rate-limiter.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { kvContract } from "../contracts/kv-contract.ts";
import { rateLimiterContract } from "../contracts/rate-limiter-contract.ts";
import { connectResp } from "../support/resp-client.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";

/** The KV and rate-limit contracts on the production adapters: Upstash REST over a real Redis. */
const DB = 14;

async function upstash() {
  const direct = await connectResp({ db: DB });
  await direct.command(["FLUSHDB"]);
  await direct.close();
  const standIn = await startUpstashStandIn({ token: "contract-token", redis: { db: DB } });
  const redis = createUpstashRedis({ url: standIn.url, token: "contract-token" });
  return { standIn, redis };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

Deno.test("KV contract: Upstash (REST stand-in over real Redis)", async (t) => {
  const { standIn, redis } = await upstash();
  await kvContract(
    t,
    () => Promise.resolve({ kv: new UpstashKV(redis, "pytake:"), pass: sleep, close: () => standIn.close() }),
  );
});

Deno.test("rate limiter contract: @upstash/ratelimit (REST stand-in over real Redis)", async (t) => {
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
