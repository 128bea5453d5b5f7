/**
 * Cloudflare Workers entry: parses the bindings once per isolate, builds the services on Neon
 * over HTTP, Upstash and QStash (embedded fallbacks only outside production), and exports the
 * Durable Object class that holds each tenant's WebSockets.
 */
import { type App, createApp } from "../app.ts";
import { ensureBootstrapAdmin } from "../bootstrap.ts";
import { ConfigError, parseServerlessConfig, type RawEnv } from "../config.ts";
import { createObservability } from "../observability/observability.ts";
import { type AssembledServices, assembleServices } from "../platform/assemble-services.ts";
import { type AssetsBinding, WorkersAssets } from "../platform/assets/workers-assets.ts";
import { openNeonHttp } from "../platform/db/neon-http.ts";
import type {
  DurableObjectNamespace,
  ExecutionContext,
  ScheduledController,
} from "../platform/realtime/cloudflare-types.ts";
import { DurableObjectRealtime } from "../platform/realtime/durable-object-realtime.ts";
import { runSweeps } from "../sweeps.ts";

export { TenantRoom } from "../platform/realtime/tenant-room.ts";

export interface WorkerEnv extends Record<string, unknown> {
  ROOMS: DurableObjectNamespace;
  /** Workers static assets (wrangler.toml `[assets]`): the reference UI's bundle. */
  ASSETS?: AssetsBinding;
}

interface Built {
  app: App;
  services: AssembledServices;
  /** Once per isolate; a failure (database down) is retried by the next request. */
  bootstrapped?: Promise<unknown>;
}

/**
 * Without QStash (development only), the `jobs` table is drained after each response and on
 * each cron tick, inside `waitUntil`, for at most this long: Workers cut `waitUntil` work 30 s
 * after the response, and a job cut there stays claimed until its lock runs out.
 */
const DRAIN_BUDGET_MS = 20_000;
const RUNNER_LOCK_SECONDS = 60;

/** Built once per isolate and reused: ports hold caches (rate limiters) meant to outlive a request. */
let built: { env: WorkerEnv; value: Built } | undefined;

function stringVars(env: WorkerEnv): RawEnv {
  const out: RawEnv = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

function build(env: WorkerEnv): Built {
  if (built?.env === env) return built.value;
  const config = parseServerlessConfig(stringVars(env), "workers");
  const obs = createObservability({ level: config.logLevel });
  const target = config.database as Extract<typeof config.database, { kind: "neon-http" }>;
  const database = openNeonHttp(target.url, { fetchEndpoint: target.fetchEndpoint });
  const services = assembleServices(config, database, obs, {
    realtime: new DurableObjectRealtime(env.ROOMS),
    longLived: false,
    // `waitUntil` work is cut 30 s after the response: a job cut there is claimed again soon.
    runner: { lockSeconds: RUNNER_LOCK_SECONDS },
    assets: env.ASSETS ? new WorkersAssets(env.ASSETS) : undefined,
  });
  const value = { app: createApp(services), services };
  built = { env, value };
  return value;
}

function drainJobs(b: Built): Promise<unknown> {
  return b.services.runner!.drain({ budgetMs: DRAIN_BUDGET_MS }).catch((err) =>
    b.services.obs.log.error("job drain failed", { service: "jobs", error: err })
  );
}

function misconfigured(err: unknown): Response {
  // deno-lint-ignore no-console
  console.error(err instanceof ConfigError ? err.message : err);
  return new Response(
    JSON.stringify({
      type: "https://pytake.dev/problems/internal_error",
      title: "Internal Server Error",
      status: 500,
      detail: "The server is misconfigured; see its logs",
      code: "internal_error",
      request_id: crypto.randomUUID(),
    }),
    { status: 500, headers: { "content-type": "application/problem+json" } },
  );
}

export default {
  async fetch(req: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let b: Built;
    try {
      b = build(env);
    } catch (err) {
      return misconfigured(err);
    }
    b.bootstrapped ??= ensureBootstrapAdmin(b.services).catch((err) => {
      b.bootstrapped = undefined;
      b.services.obs.log.error("bootstrap failed", { error: err });
    });
    ctx.waitUntil(b.bootstrapped);
    const res = await b.app.fetch(req, { clientIp: req.headers.get("cf-connecting-ip") ?? undefined }, ctx);
    // Without QStash, jobs run from the table: whatever became due runs after this response,
    // claimed, run and recorded inside the one promise the runtime waits for.
    if (b.services.runner) ctx.waitUntil(drainJobs(b));
    return res;
  },

  /**
   * Cron trigger (wrangler.toml), every minute: the sweeps (src/sweeps.ts), and the due jobs when
   * QStash is not configured.
   */
  scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): void {
    const b = build(env);
    // One promise for the whole tick: the sweeps queue work, the drain then runs it.
    ctx.waitUntil((async () => {
      await runSweeps(b.services);
      if (b.services.runner) await drainJobs(b);
    })());
  },
};
