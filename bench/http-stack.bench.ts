import { type BenchReport, load, median, startServer } from "./lib.ts";

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
      ],
      notes: [
        "What the candidate does per request that the baseline does not: a UUIDv7 request id and a W3C trace context, one JSON log line (built and serialised even when nothing reads it), a counter and a histogram, a span in a bounded buffer, and twelve response headers (request id, traceparent, CORS, security) that the runtime validates one by one.",
        "Profiling found the first version at 0.28 of bare Hono: Hono's `cors` and `secureHeaders` middlewares, `c.var` (which copies every context variable into a new object on each access), a `getRandomValues` call per id and a logger built from closures per request. Removing those brought the in-process cost of the stack from 27 to about 9 µs per request.",
        "The 0.80 target is not met. In process the remaining stack costs ~6 µs per request over bare Hono's ~2.5; over loopback bare Hono serves a request in ~10 µs, so the ratio tops out near 0.6 unless a request stops carrying its own id, trace, log line or headers. Those are product requirements (DESIGN §5), so the figure is recorded as missed rather than the work dropped.",
      ],
    } satisfies BenchReport;
  } finally {
    await bare.stop();
    await full.stop();
  }
}
