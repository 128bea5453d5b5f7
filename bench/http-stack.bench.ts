import { Hono } from "hono";
import { inProcessApp } from "./in-process-app.ts";
import { type BenchReport, load, median, startServer } from "./lib.ts";

/**
 * The same comparison without the network or the load generator: microseconds of this process
 * per request through `fetch` of each app. On a shared machine the HTTP figures move with the
 * neighbours' load; this one shows the stack's own cost.
 */
async function inProcess(n: number) {
  const { app } = await inProcessApp();
  const bare = new Hono();
  bare.get("/observability/live", (c) => c.json({ status: "alive" }));
  const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
  const url = "http://127.0.0.1/observability/live";
  const time = async (f: () => Promise<Response> | Response) => {
    for (let i = 0; i < n / 10; i++) await (await f()).text();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await (await f()).text();
    return ((performance.now() - t0) * 1000) / n;
  };
  const b: number[] = [];
  const f: number[] = [];
  for (let round = 0; round < 3; round++) {
    b.push(await time(() => bare.fetch(new Request(url))));
    f.push(await time(() => app.fetch(new Request(url), { clientIp: "127.0.0.1" }, ctx)));
  }
  return { bare: median(b), full: median(f) };
}

/**
 * Requests/s and p99 of `/observability/live` through the full middleware stack against a bare
 * Hono app answering the same JSON. Rounds alternate between the two so drift hits both alike.
 */
export async function httpStackBench(opts: { seconds: number; rounds: number; connections: number }) {
  const bare = await startServer("bench/servers/bare-hono.ts");
  const full = await startServer("bench/servers/full-app.ts");
  try {
    const path = "/observability/live";
    await load(bare.url + path, { seconds: 2, connections: opts.connections });
    await load(full.url + path, { seconds: 2, connections: opts.connections });
    const b = [];
    const f = [];
    for (let i = 0; i < opts.rounds; i++) {
      b.push(await load(bare.url + path, opts));
      f.push(await load(full.url + path, opts));
    }
    for (const r of [...b, ...f]) {
      if (r.errors || r.non2xx) throw new Error(`errors during the run: ${JSON.stringify(r)}`);
    }
    const bRps = median(b.map((r) => r.requestsPerSecond));
    const fRps = median(f.map((r) => r.requestsPerSecond));
    const bP99 = median(b.map((r) => r.p99));
    const fP99 = median(f.map((r) => r.p99));
    const ratio = fRps / bRps;
    const micro = await inProcess(opts.seconds >= 8 ? 100_000 : 20_000);
    return {
      title: "HTTP stack overhead: /observability/live",
      method:
        `autocannon, ${opts.connections} connections, ${opts.rounds} alternating rounds of ${opts.seconds} s after a 2 s warm-up each; each server in its own Deno process on loopback; medians reported. Baseline: bare Hono answering the same JSON. Candidate: the whole app (request id, trace, JSON log line, metrics, CORS, secure headers, body limit, the OpenAPI router with every route).`,
      rows: [
        {
          metric: "requests/s",
          baseline: bRps.toFixed(0),
          candidate: fRps.toFixed(0),
          ratio: ratio.toFixed(2),
          target: "≥ 0.80",
          verdict: ratio >= 0.8 ? "met" : "missed",
        },
        {
          metric: "p99 latency (ms)",
          baseline: bP99.toFixed(1),
          candidate: fP99.toFixed(1),
          // autocannon measures latency in whole milliseconds; below that a ratio means nothing.
          ratio: bP99 >= 1 ? (fP99 / bP99).toFixed(2) : "n/a (< 1 ms)",
        },
        {
          metric: "in process: µs per request (no network, no load generator)",
          baseline: micro.bare.toFixed(2),
          candidate: micro.full.toFixed(2),
          ratio: (micro.bare / micro.full).toFixed(2),
        },
      ],
      notes: [
        "What the candidate does per request that the baseline does not: a UUIDv7 request id (whose hex is the trace id and whose random tail is the span id), one JSON log line, a counter and a histogram, a span in a bounded buffer, and seven response headers (request id, traceparent, nosniff, HSTS, frame options, CSP, CORP; CORS ones only when the request carries `Origin`).",
        "Issue 10 made that work lazy or smaller: one random draw per request instead of two and no buffer copies, the request's child logger made only when something logs through it, the span stored flat and assembled when `/observability/traces` reads it, the after-answer scope (AsyncLocalStorage) entered by authentication only, document-only headers (COOP, Referrer-Policy) left off JSON answers and CORS headers off requests without `Origin`. In process (the row above) the stack went from ~17 µs to ~8–11 µs per request, depending on the machine's load, against bare Hono's ~2.2–3 µs.",
        "The 0.80 target is not met. Profiled under load (node:inspector sampling the serving process), the main thread is idle about two thirds of the time (hyper and the socket work are in Rust); of the JavaScript time the JSON log line is the largest part (~20 %: building the line, its ISO timestamp and `JSON.stringify`, in src/observability/logger.ts, which the hostile-input work of issue 10 also changes to mask personal data), then the response headers (validated one by one in JavaScript, then written by Rust: ~10 %), Hono's trie router and middleware chain (~8 %; its RegExpRouter refuses this route set because `/messages/search` and `/messages/{id}/status` share a prefix), and the request context's own bookkeeping (~8 %). The next levers: a request log line written without the generic logger's spreads (a line builder with fixed keys, masking included), and fewer headers where a reverse proxy sets them.",
        "Measured back to back on this 2-core machine (shared with other work; quiet during these runs), the code before issue 10 served 47,068 requests/s against bare Hono's 112,392 (0.42) and this one 55,768 against 110,816 (0.50): +18 % requests/s through the whole stack. The previous report's 0.52 was an earlier, quieter day; under load (load average 3.5) both versions measured 0.40.",
      ],
    } satisfies BenchReport;
  } finally {
    await bare.stop();
    await full.stop();
  }
}
