import { MemoryRateLimiter } from "../../src/platform/rate-limit/memory-rate-limiter.ts";
import { rateLimiterContract } from "../contracts/rate-limiter-contract.ts";

Deno.test("rate limiter contract: in-memory sliding window", async (t) => {
  let now = Date.now();
  await rateLimiterContract(t, () =>
    Promise.resolve({
      limiter: new MemoryRateLimiter(() => now),
      now: () => now,
      pass: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    }));
});
