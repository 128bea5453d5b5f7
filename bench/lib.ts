import autocannon from "autocannon";

/** A server under test in its own process, so the load generator does not share its event loop. */
export async function startServer(script: string, env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    cwd: new URL("../", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (!/PORT (\d+)/.test(buffered)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited before listening`);
    buffered += value;
  }
  const port = Number(buffered.match(/PORT (\d+)/)![1]);
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  /** `KEY value` lines the server printed before it listened (a token, credentials). */
  const info = Object.fromEntries(
    buffered.split("\n").map((l) => l.match(/^([A-Z]+) (.*)$/)).filter((m) => m).map((m) => [m![1], m![2]]),
  );
  return {
    info,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Requests per second across all connections (open-loop load); unset: as fast as possible. */
  rate?: number;
  /** Builds each request's body and headers (a distinct, signed webhook each time). */
  next?: () => { body: string; headers: Record<string, string> };
}

export async function load(url: string, opts: LoadOptions): Promise<LoadResult> {
  const next = opts.next;
  const r = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    method: opts.method ?? "GET",
    body: opts.body,
    headers: opts.headers,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    ...(next
      ? {
        requests: [{
          method: opts.method ?? "POST",
          setupRequest: (req: Record<string, unknown>) => {
            const { body, headers } = next();
            return { ...req, body, headers: { ...(req.headers as Record<string, string>), ...headers } };
          },
        }],
      }
      : {}),
  });
  return {
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface BenchReport {
  title: string;
  /** What was compared with what, and how. */
  method: string;
  rows: {
    metric: string;
    baseline: string;
    candidate: string;
    ratio: string;
    target?: string;
    verdict?: string;
  }[];
  notes?: string[];
}
