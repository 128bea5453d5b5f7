import { strict as assert } from "node:assert";
import type { KV } from "../../src/platform/kv/kv.ts";

export interface KvFixture {
  kv: KV;
  /** Lets time pass: a fake clock jumps, a real store waits. */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** What every KV adapter must do, identically. Keys are unique per run so stores can be shared. */
export async function kvContract(t: Deno.TestContext, make: () => Promise<KvFixture>): Promise<void> {
  const f = await make();
  const { kv } = f;
  const k = (name: string) => `contract:${crypto.randomUUID()}:${name}`;
  try {
    await t.step("get of a missing key is null; set then get", async () => {
      const key = k("a");
      assert.equal(await kv.get(key), null);
      assert.equal(await kv.set(key, "value"), true);
      assert.equal(await kv.get(key), "value");
    });

    await t.step("mget answers several keys in order, null for missing ones", async () => {
      const [a, b, missing] = [k("m1"), k("m2"), k("m3")];
      await kv.set(a, "1");
      await kv.set(b, '{"x":2}');
      assert.deepEqual(await kv.mget([a, missing, b]), ["1", null, '{"x":2}']);
      assert.deepEqual(await kv.mget([]), []);
    });

    await t.step("values are opaque strings, JSON and unicode included", async () => {
      const key = k("json");
      const value = JSON.stringify({ n: 1, s: "ação 🚀", list: [1, "2"] });
      await kv.set(key, value);
      assert.equal(await kv.get(key), value);
      await kv.set(key, "12");
      assert.equal(await kv.get(key), "12", "a numeric string stays a string");
    });

    await t.step("onlyIfAbsent: the first writer wins", async () => {
      const key = k("nx");
      assert.equal(await kv.set(key, "first", { onlyIfAbsent: true, ttlSeconds: 60 }), true);
      assert.equal(await kv.set(key, "second", { onlyIfAbsent: true, ttlSeconds: 60 }), false);
      assert.equal(await kv.get(key), "first");
    });

    await t.step("ttl: -1 without expiry, null when missing, seconds left otherwise", async () => {
      const key = k("ttl");
      assert.equal(await kv.ttl(key), null);
      await kv.set(key, "v");
      assert.equal(await kv.ttl(key), -1);
      await kv.set(key, "v", { ttlSeconds: 100 });
      const left = await kv.ttl(key);
      assert.ok(left !== null && left > 90 && left <= 100, `ttl ${left}`);
    });

    await t.step("a key expires after its TTL", async () => {
      const key = k("exp");
      await kv.set(key, "v", { ttlSeconds: 1 });
      await f.pass(2100);
      assert.equal(await kv.get(key), null);
      assert.equal(await kv.ttl(key), null);
    });

    await t.step("incr counts atomically and starts the TTL once", async () => {
      const key = k("incr");
      const results = await Promise.all(Array.from({ length: 10 }, () => kv.incr(key, { ttlSeconds: 100 })));
      assert.deepEqual([...results].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const ttl = await kv.ttl(key);
      assert.ok(ttl !== null && ttl > 0 && ttl <= 100);
      assert.equal(await kv.get(key), "10");
      const plain = k("incr-plain");
      assert.equal(await kv.incr(plain), 1);
      assert.equal(await kv.ttl(plain), -1);
    });

    await t.step("incr does not extend an existing expiry", async () => {
      const key = k("incr-window");
      await kv.incr(key, { ttlSeconds: 2 });
      await f.pass(1100);
      await kv.incr(key, { ttlSeconds: 2 });
      await f.pass(1100);
      assert.equal(await kv.get(key), null, "the window started at the first incr");
    });

    await t.step("del removes keys and counts those that existed", async () => {
      const [a, b, missing] = [k("d1"), k("d2"), k("d3")];
      await kv.set(a, "1");
      await kv.set(b, "2");
      assert.equal(await kv.del(a, b, missing), 2);
      assert.equal(await kv.get(a), null);
      assert.equal(await kv.del(), 0);
    });

    await t.step("take hands a value to exactly one of many callers", async () => {
      const key = k("take");
      await kv.set(key, "token");
      const got = await Promise.all(Array.from({ length: 5 }, () => kv.take(key)));
      assert.deepEqual(got.filter((v) => v !== null), ["token"]);
      assert.equal(await kv.get(key), null);
    });

    await t.step("ping answers", async () => {
      await kv.ping();
    });
  } finally {
    await f.close();
  }
}
