/**
 * Proves our Upstash adapters speak the real Upstash REST wire format: the real `@upstash/redis`
 * client and `@upstash/ratelimit` talk to a local stand-in backed by a real Redis (DB 15,
 * flushed per test). Needs Redis at 127.0.0.1:6379 (`.ci/run` makes sure one answers).
 *
 *   deno test -A tests/integration/upstash-standin_test.ts
 */
import assert from "node:assert/strict";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { createUpstashRedis, UpstashKV } from "../../src/platform/kv/upstash-kv.ts";
import { UpstashRateLimiter } from "../../src/platform/rate-limit/upstash-rate-limiter.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { connectResp, type RespClient, RespError } from "../support/resp-client.ts";
import { startUpstashStandIn, type UpstashStandIn } from "../support/upstash-standin.ts";

const TOKEN = "standin-test-token";
const DB = 15;

const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

interface Ctx {
  standIn: UpstashStandIn;
  /** Direct RESP connection to the same DB, to check what really landed in Redis. */
  direct: RespClient;
  /** The real client, configured like production (`createUpstashRedis`) minus retries. */
  redis: Redis;
}

function newClient(url: string, token = TOKEN): Redis {
  return new Redis({ url, token, automaticDeserialization: false, retry: { retries: 0, backoff: () => 0 } });
}

function standInTest(name: string, fn: (ctx: Ctx) => Promise<void>) {
  Deno.test({
    name,
    async fn() {
      const direct = await connectResp({ db: DB });
      assert.equal(await direct.command(["FLUSHDB"]), "OK");
      const standIn = await startUpstashStandIn({ token: TOKEN, redis: { db: DB } });
      try {
        await fn({ standIn, direct, redis: newClient(standIn.url) });
      } finally {
        await standIn.close();
        await direct.close();
      }
    },
  });
}

/** Raw HTTP call, so the wire format itself is asserted, not what the client makes of it. */
async function call(
  standIn: UpstashStandIn,
  path: string,
  body?: unknown,
  opts: { base64?: boolean; token?: string | null; method?: string; rawBody?: string } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.base64) headers["upstash-encoding"] = "base64";
  const res = await fetch(standIn.url + path, {
    method: opts.method ?? "POST",
    headers,
    body: opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/**
 * Command names the stand-in received, in order. @upstash/redis 1.39 auto-pipelines by default,
 * so even lone commands usually arrive as one-element `/pipeline` batches.
 */
function sentCommands(standIn: UpstashStandIn): string[] {
  return standIn.requests.flatMap(({ path, body }) => {
    const cmds = path === "/pipeline" || path === "/multi-exec" ? body as string[][] : [body as string[]];
    return cmds.map((c) => String(c[0]).toLowerCase());
  });
}

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The sliding window counts the previous fixed window in proportion to its overlap; a burst that
 * straddles a boundary would see different numbers, so start well inside a window.
 */
async function awayFromWindowEdge(windowMs: number, marginMs = 3000) {
  const into = Date.now() % windowMs;
  if (into > windowMs - marginMs) await sleep(windowMs - into + 50);
}

standInTest(
  "RESP client: pipelined replies, split reads, nested values, errors as values",
  async ({ direct }) => {
    // 300 KB forces the reply to span several 64 KB reads.
    const big = "x".repeat(300_000) + "é";
    const replies = await Promise.all([
      direct.command(["SET", "big", big]),
      ...Array.from({ length: 200 }, () => direct.command(["INCR", "n"])),
      direct.command(["GET", "big"]),
      direct.command(["GET", "missing"]),
      direct.command(["INCR", "big"]),
      direct.command(["EVAL", "return {1, 'a', {2, 'b', false}}", 0]),
    ]);
    assert.equal(replies[0], "OK");
    assert.deepEqual(replies.slice(1, 201), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.equal(replies[201], big);
    assert.equal(replies[202], null);
    assert.ok(replies[203] instanceof RespError);
    assert.match((replies[203] as RespError).message, /^ERR value is not an integer/);
    assert.deepEqual(replies[204], [1, "a", [2, "b", null]]);
    assert.deepEqual(await direct.pipeline([["SET", "p", "1"], ["INCRBY", "p", 41], ["GET", "p"]]), [
      "OK",
      42,
      "42",
    ]);
  },
);

standInTest("wire format: single command, base64 encoding, errors, auth", async ({ standIn }) => {
  // Plain JSON (no Upstash-Encoding): strings as is.
  assert.deepEqual((await call(standIn, "/", ["SET", "k", "v", "EX", "10"])).body, { result: "OK" });
  assert.deepEqual((await call(standIn, "/", ["GET", "k"])).body, { result: "v" });

  // base64: bulk and simple strings encoded (nested too), except the status reply "OK";
  // integers stay numbers and nil stays null.
  const enc = { base64: true };
  assert.deepEqual((await call(standIn, "/", ["SET", "k2", "wörld", "EX", 10], enc)).body, { result: "OK" });
  assert.deepEqual((await call(standIn, "/", ["GET", "k2"], enc)).body, { result: b64("wörld") });
  assert.deepEqual((await call(standIn, "/", ["PING"], enc)).body, { result: b64("PONG") });
  assert.deepEqual((await call(standIn, "/", ["INCR", "n"], enc)).body, { result: 1 });
  assert.deepEqual((await call(standIn, "/", ["GET", "nope"], enc)).body, { result: null });
  assert.deepEqual(
    (await call(standIn, "/", ["EVAL", "return {1, 'a', {2, 'b', false}}", 0], enc)).body,
    { result: [1, b64("a"), [2, b64("b"), null]] },
  );

  // A Redis error: HTTP 400 with { error }, never encoded.
  const err = await call(standIn, "/", ["INCR", "k"], enc);
  assert.equal(err.status, 400);
  assert.deepEqual(err.body, { error: "ERR value is not an integer or out of range" });
  assert.equal((await call(standIn, "/", ["SELECT", "0"])).status, 400);
  assert.equal((await call(standIn, "/", { not: "an array" })).status, 400);

  // Auth: header or `_token` query parameter; anything else is 401 { error }.
  const noAuth = await call(standIn, "/", ["GET", "k"], { token: null });
  assert.equal(noAuth.status, 401);
  assert.ok(typeof (noAuth.body as { error?: unknown }).error === "string");
  assert.equal((await call(standIn, "/", ["GET", "k"], { token: "wrong" })).status, 401);
  assert.deepEqual(
    (await call(standIn, `/?_token=${TOKEN}`, ["GET", "k"], { token: null })).body,
    { result: "v" },
  );

  // The client keeps whatever sync token it is handed (read-your-writes).
  assert.ok((await call(standIn, "/", ["PING"])).headers.get("upstash-sync-token"));

  // Path style, with a POST body appended as the value and query parameters after it.
  assert.deepEqual((await call(standIn, "/set/pk/pv", undefined, { method: "GET" })).body, { result: "OK" });
  assert.deepEqual((await call(standIn, "/get/pk", undefined, { method: "GET" })).body, { result: "pv" });
  assert.deepEqual(
    (await call(standIn, "/set/pk2?EX=100", undefined, { rawBody: '{"raw": true}' })).body,
    { result: "OK" },
  );
  assert.deepEqual((await call(standIn, "/get/pk2", undefined, { method: "GET" })).body, {
    result: '{"raw": true}',
  });
  const ttl = (await call(standIn, "/ttl/pk2", undefined, { method: "GET" })).body as { result: number };
  assert.ok(ttl.result > 90 && ttl.result <= 100);

  assert.deepEqual(standIn.requests[0], { path: "/", body: ["SET", "k", "v", "EX", "10"] });
});

standInTest("wire format: /pipeline and /multi-exec", async ({ standIn, direct }) => {
  const pipe = await call(standIn, "/pipeline", [["SET", "p", "1"], ["INCR", "p"], ["INCR", "p", "extra"], [
    "GET",
    "p",
  ]], { base64: true });
  assert.equal(pipe.status, 200);
  assert.deepEqual(pipe.body, [
    { result: "OK" },
    { result: 2 },
    { error: "ERR wrong number of arguments for 'incr' command" },
    { result: b64("2") },
  ]);

  // Runtime errors inside EXEC are per command; the others still ran.
  const tx = await call(standIn, "/multi-exec", [["SET", "m", "x"], ["INCR", "m"], ["SET", "m2", "y"]]);
  assert.equal(tx.status, 200);
  assert.deepEqual(tx.body, [
    { result: "OK" },
    { error: "ERR value is not an integer or out of range" },
    { result: "OK" },
  ]);
  // A command rejected while queueing aborts the whole transaction.
  const aborted = await call(standIn, "/multi-exec", [["SET", "a", "1"], ["INCR"]]);
  assert.equal(aborted.status, 400);
  assert.match((aborted.body as { error: string }).error, /^EXECABORT/);
  assert.equal(await direct.command(["EXISTS", "a"]), 0);
  // The shared connection is not left inside MULTI afterwards.
  assert.deepEqual((await call(standIn, "/", ["GET", "m2"])).body, { result: "y" });
});

standInTest("transactions do not interleave with concurrent commands", async ({ redis, direct }) => {
  const txs = Array.from(
    { length: 20 },
    (_, i) => redis.multi().set(`t${i}`, "0").incr(`t${i}`).incr(`t${i}`).get(`t${i}`).exec(),
  );
  const plain = Array.from({ length: 50 }, () => redis.incr("shared"));
  const [txResults, incrs] = await Promise.all([Promise.all(txs), Promise.all(plain)]);
  for (const r of txResults) assert.deepEqual(r, ["OK", 1, 2, "2"]);
  assert.deepEqual(incrs.toSorted((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(await direct.command(["GET", "shared"]), "50");
});

standInTest("@upstash/redis client against the stand-in", async ({ standIn, redis, direct }) => {
  assert.equal(await redis.set("a", "1"), "OK");
  // automaticDeserialization: false keeps numeric-looking values as strings.
  assert.equal(await redis.get("a"), "1");
  assert.equal(await redis.get("missing"), null);

  assert.equal(await redis.set("ex", "v", { ex: 10, nx: true }), "OK");
  assert.equal(await redis.set("ex", "other", { ex: 10, nx: true }), null);
  assert.equal(await redis.get("ex"), "v");
  const ttl = await redis.ttl("ex");
  assert.ok(ttl > 0 && ttl <= 10);

  assert.equal(await redis.incr("counter"), 1);
  assert.equal(await redis.incr("counter"), 2);

  const [n, expireSet] = await redis.multi().incr("win").expire("win", 10, "NX").exec<[number, number]>();
  assert.equal(n, 1);
  assert.equal(expireSet, 1);
  const [n2, expireSet2] = await redis.multi().incr("win").expire("win", 99, "NX").exec<[number, number]>();
  assert.deepEqual([n2, expireSet2], [2, 0]);
  const winTtl = await redis.ttl("win");
  assert.ok(winTtl > 0 && winTtl <= 10, `NX must not extend the expiry (ttl ${winTtl})`);

  assert.equal(await redis.getdel("a"), "1");
  assert.equal(await redis.getdel("a"), null);

  assert.equal(await redis.ttl("a"), -2);
  await redis.set("forever", "x");
  assert.equal(await redis.ttl("forever"), -1);

  await redis.set("d1", "1");
  await redis.set("d2", "2");
  assert.equal(await redis.del("d1", "d2", "d3"), 2);

  const piped = await redis.pipeline().set("p", "10").incr("p").get("p").ttl("p").exec();
  assert.deepEqual(piped, ["OK", 11, "11", -1]);

  // Strings that need base64 to survive JSON, and strings that already look like base64 (a
  // stand-in that ignored Upstash-Encoding would hand these back "decoded" into garbage).
  const tricky = [
    "ünïcødé ✓ 😀 日本語",
    'quotes " and \\ backslash, tab\t, newline\n, CRLF\r\n, NUL\u0000, +/=',
    "aGVsbG8=",
    "OK",
    "PONG",
    "",
  ];
  for (const [i, value] of tricky.entries()) {
    await redis.set(`tricky:${i}`, value);
    assert.equal(await redis.get(`tricky:${i}`), value);
    // And Redis really holds the UTF-8 bytes, not some re-encoding.
    assert.equal(await direct.command(["GET", `tricky:${i}`]), value);
  }
  assert.deepEqual(await redis.mget("tricky:0", "nope", "tricky:2"), [tricky[0], null, tricky[2]]);
  assert.equal(await redis.ping(), "PONG");

  // Wrong token: the 401 { error } body surfaces as an UpstashError.
  await assert.rejects(() => newClient(standIn.url, "wrong-token").get("ex"), /Unauthorized/);
  // A Redis error reply surfaces too.
  await assert.rejects(() => redis.incr("ex"), /not an integer/);
});

standInTest("@upstash/ratelimit sliding window over the stand-in", async ({ standIn, redis, direct }) => {
  const windowMs = 10_000;
  await awayFromWindowEdge(windowMs);
  const rl = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(3, "10 s"), analytics: false });
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await rl.limit("user-1"));

  assert.deepEqual(results.map((r) => r.success), [true, true, true, false]);
  assert.deepEqual(results.map((r) => r.remaining), [2, 1, 0, 0]);
  for (const r of results) {
    assert.equal(r.limit, 3);
    assert.equal(r.reset % windowMs, 0);
    assert.ok(r.reset > Date.now() && r.reset <= Date.now() + windowMs, `reset ${r.reset}`);
    assert.equal(r.reason, undefined);
  }

  // First EVALSHA misses (NOSCRIPT), EVAL loads the script, later EVALSHAs hit.
  const scriptCalls = sentCommands(standIn).filter((c) => /^eval/.test(c));
  assert.deepEqual(scriptCalls, ["evalsha", "eval", "evalsha", "evalsha", "evalsha"]);

  // Every key the limiter wrote expires (pitfall: counters written without a TTL live forever).
  const keys = await direct.command(["KEYS", "@upstash/ratelimit:*"]) as string[];
  assert.equal(keys.length, 1);
  for (const key of keys) {
    const pttl = await direct.command(["PTTL", key]) as number;
    assert.ok(pttl > 0 && pttl <= 2 * windowMs + 1000, `${key} pttl ${pttl}`);
  }
});

standInTest("our UpstashKV adapter over the stand-in", async ({ standIn, direct }) => {
  const kv = new UpstashKV(createUpstashRedis({ url: standIn.url, token: TOKEN }), "app:");
  assert.equal(kv.kind, "upstash");
  await kv.ping();

  assert.equal(await kv.set("s", "v1"), true);
  assert.equal(await kv.get("s"), "v1");
  assert.equal(await direct.command(["GET", "app:s"]), "v1");
  assert.equal(await kv.set("s", "v2", { onlyIfAbsent: true }), false);
  assert.equal(await kv.set("fresh", "x", { onlyIfAbsent: true }), true);
  assert.equal(await kv.set("s", "v3", { ttlSeconds: 30 }), true);
  assert.equal(await kv.set("s", "v4", { ttlSeconds: 30, onlyIfAbsent: true }), false);
  assert.equal(await kv.set("t", "v", { ttlSeconds: 30, onlyIfAbsent: true }), true);
  const ttl = await kv.ttl("t");
  assert.ok(ttl !== null && ttl > 0 && ttl <= 30);
  assert.equal(await kv.ttl("fresh"), -1);
  assert.equal(await kv.ttl("missing"), null);

  assert.equal(await kv.incr("plain"), 1);
  assert.equal(await kv.incr("lock", { ttlSeconds: 60 }), 1);
  assert.equal(await kv.incr("lock", { ttlSeconds: 600 }), 2);
  const lockTtl = await kv.ttl("lock");
  assert.ok(lockTtl !== null && lockTtl > 0 && lockTtl <= 60, `expiry must not be extended (${lockTtl})`);

  assert.equal(await kv.take("s"), "v3");
  assert.equal(await kv.take("s"), null);
  assert.equal(await kv.del(), 0);
  assert.equal(await kv.del("fresh", "t", "missing"), 2);

  const json = JSON.stringify({ name: "Zoë", emoji: "📱", n: 1 });
  await kv.set("json", json);
  assert.equal(await kv.get("json"), json);
});

standInTest("our UpstashRateLimiter adapter over the stand-in", async ({ standIn, direct }) => {
  await awayFromWindowEdge(10_000);
  const limiter = new UpstashRateLimiter(
    createUpstashRedis({ url: standIn.url, token: TOKEN }),
    silentLogger,
  );
  const rule = { limit: 3, windowSeconds: 10 };
  const decisions = [];
  for (let i = 0; i < 4; i++) decisions.push(await limiter.limit("ip:1.2.3.4", rule));
  assert.deepEqual(decisions.map((d) => [d.success, d.remaining, d.limit]), [
    [true, 2, 3],
    [true, 1, 3],
    [true, 0, 3],
    [false, 0, 3],
  ]);
  for (const d of decisions) assert.ok(d.reset > Date.now() && d.reset <= Date.now() + 10_000);
  // A different key has its own budget.
  assert.equal((await limiter.limit("ip:5.6.7.8", rule)).success, true);

  const keys = await direct.command(["KEYS", "pytake:rl:3/10:*"]) as string[];
  assert.equal(keys.length, 2);
  for (const key of keys) {
    const pttl = await direct.command(["PTTL", key]) as number;
    assert.ok(pttl > 0 && pttl <= 21_000, `${key} pttl ${pttl}`);
  }
});

standInTest("outage: close() stops serving; a restart on the same port recovers", async ({ standIn }) => {
  const kv = new UpstashKV(createUpstashRedis({ url: standIn.url, token: TOKEN }));
  await kv.set("k", "before");
  await standIn.close();
  await assert.rejects(() => kv.get("k"));

  const again = await startUpstashStandIn({ token: TOKEN, redis: { db: DB }, port: standIn.port });
  try {
    assert.equal(again.url, standIn.url);
    assert.equal(await kv.get("k"), "before");
  } finally {
    await again.close();
  }
});
