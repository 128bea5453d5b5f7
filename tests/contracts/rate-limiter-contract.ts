import { strict as assert } from "node:assert";
import type { RateLimiter } from "../../src/platform/rate-limit/rate-limiter.ts";

export interface RateLimiterFixture {
  limiter: RateLimiter;
  pass(ms: number): Promise<void>;
  now(): number;
  close(): Promise<void>;
}

/** The same sliding-window semantics from every adapter. */
export async function rateLimiterContract(
  t: Deno.TestContext,
  make: () => Promise<RateLimiterFixture>,
): Promise<void> {
  const f = await make();
  const key = () => `contract:${crypto.randomUUID()}`;
  try {
    await t.step("allows `limit` requests, then denies with remaining 0", async () => {
      const id = key();
      const rule = { limit: 3, windowSeconds: 60 };
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await f.limiter.limit(id, rule));
      assert.deepEqual(decisions.map((d) => d.success), [true, true, true, false]);
      assert.deepEqual(decisions.map((d) => d.remaining).slice(0, 3), [2, 1, 0]);
      assert.equal(decisions[3].remaining, 0);
      assert.ok(decisions.every((d) => d.limit === 3));
      const reset = decisions[3].reset;
      assert.ok(reset > f.now() && reset <= f.now() + 60_000, `reset ${reset} within the window`);
    });

    await t.step("keys are independent", async () => {
      const rule = { limit: 1, windowSeconds: 60 };
      assert.equal((await f.limiter.limit(key(), rule)).success, true);
      assert.equal((await f.limiter.limit(key(), rule)).success, true);
    });

    await t.step("rules are independent for one key", async () => {
      const id = key();
      await f.limiter.limit(id, { limit: 1, windowSeconds: 60 });
      assert.equal((await f.limiter.limit(id, { limit: 1, windowSeconds: 60 })).success, false);
      assert.equal((await f.limiter.limit(id, { limit: 5, windowSeconds: 60 })).success, true);
    });

    await t.step("the window slides: capacity returns as old requests age out", async () => {
      const id = key();
      const rule = { limit: 2, windowSeconds: 2 };
      // Start at the beginning of a window: three calls straddling a boundary would see the first
      // ones weighted down already (that is the sliding window), and the third let through.
      const into = f.now() % 2000;
      if (into > 100) await f.pass(2000 - into + 10);
      assert.equal((await f.limiter.limit(id, rule)).success, true);
      assert.equal((await f.limiter.limit(id, rule)).success, true);
      assert.equal((await f.limiter.limit(id, rule)).success, false);
      // Two whole windows later nothing of the old window weighs any more.
      await f.pass(4100);
      assert.equal((await f.limiter.limit(id, rule)).success, true);
    });
  } finally {
    await f.close();
  }
}
