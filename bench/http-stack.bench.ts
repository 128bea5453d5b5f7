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
          ratio: (fP99 / Math.max(bP99, 0.1)).toFixed(2),
        },
      ],
    } satisfies BenchReport;
  } finally {
    await bare.stop();
    await full.stop();
  }
}
