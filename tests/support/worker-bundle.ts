import { Miniflare } from "miniflare";
/** Bundles the Worker exactly as `wrangler deploy` would, into a temporary folder. */
export interface WorkerBundle {
  path: string;
  bytes: number;
  gzipBytes: number;
  compatibilityDate: string;
  /** The static assets folder the `[build]` step filled (wrangler.toml `[assets]`). */
  assetsDirectory: string;
}

const root = new URL("../../", import.meta.url).pathname;

export async function bundleWorker(): Promise<WorkerBundle> {
  const outdir = await Deno.makeTempDir({ prefix: "pytake-worker-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "npm:wrangler@4.164.0", "deploy", "--dry-run", "--outdir", outdir],
    cwd: root,
    env: { WRANGLER_SEND_METRICS: "false", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `wrangler bundle failed:\n${new TextDecoder().decode(out.stdout)}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const path = `${outdir}/worker.js`;
  const bytes = await Deno.readFile(path);
  const gzipped = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  const toml = await Deno.readTextFile(`${root}/wrangler.toml`);
  const compatibilityDate = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m)![1];
  const assets = toml.match(/^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/m)![1];
  return {
    path,
    bytes: bytes.length,
    gzipBytes: gzipped.byteLength,
    compatibilityDate,
    assetsDirectory: new URL(assets, `file://${root}/`).pathname,
  };
}

export interface RunningWorker {
  mf: Miniflare;
  /** The loopback URL miniflare serves the Worker on (what outside callers reach). */
  url: string;
  /** A request into the Worker, with JSON and bearer-token shorthands. */
  request(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  /** Fires the cron trigger once and waits for its `waitUntil` work, like Cloudflare would. */
  scheduled(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkerOptions {
  bindings: Record<string, string>;
  /**
   * Every outgoing `fetch` of the Worker (Neon, Upstash, QStash, Graph, customers' endpoints)
   * goes through this, as miniflare's outbound service: tests map production host names onto
   * their loopback stand-ins, so the Worker runs with production URLs unchanged.
   */
  outbound?: (req: Request) => Promise<Response>;
}

/** The bundle in workerd through miniflare, with the Durable Object binding of wrangler.toml. */
export async function startWorker(bundle: WorkerBundle, opts: WorkerOptions): Promise<RunningWorker> {
  const mf = new Miniflare({
    // Listed explicitly: miniflare otherwise walks the bundle's imports and refuses the computed
    // `import(\`node:${m}\`)` in @upstash/qstash's dev-server code, which production never reaches.
    modules: [{ type: "ESModule", path: bundle.path, contents: await Deno.readTextFile(bundle.path) }],
    modulesRoot: bundle.path.slice(0, bundle.path.lastIndexOf("/")),
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { ROOMS: "TenantRoom" },
    // As wrangler.toml declares them: the folder its [build] step filled, reached only through the Worker.
    assets: {
      directory: bundle.assetsDirectory,
      binding: "ASSETS",
      routerConfig: { invoke_user_worker_ahead_of_assets: true, has_user_worker: true },
    },
    bindings: opts.bindings,
    ...(opts.outbound ? { outboundService: (req: Request) => opts.outbound!(req) } : {}),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    mf,
    url,
    request(path, init = {}) {
      const { json, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) {
        headers.set("content-type", "application/json");
        rest.body = JSON.stringify(json);
      }
      if (token) headers.set("authorization", `Bearer ${token}`);
      return mf.dispatchFetch(
        `http://worker.test${path}`,
        { ...rest, headers } as never,
      ) as unknown as Promise<
        Response
      >;
    },
    async scheduled() {
      const worker = await mf.getWorker() as unknown as {
        scheduled(o: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }>;
      };
      const result = await worker.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
      if (result.outcome !== "ok") throw new Error(`cron trigger ended with ${result.outcome}`);
    },
    close: () => mf.dispose(),
  };
}

/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`
 * with the last value seen: waiting for background work without guessing how long it takes.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 15_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
