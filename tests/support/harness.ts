import type { PGlite } from "@electric-sql/pglite";
import { type App, createApp } from "../../src/app.ts";
import { ensureBootstrapAdmin } from "../../src/bootstrap.ts";
import { type Config, parseConfig, type RawEnv } from "../../src/config.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { type AssembledServices, assembleServices } from "../../src/platform/assemble-services.ts";
import { PackageAssets } from "../../src/platform/assets/package-assets.ts";
import type { Database } from "../../src/platform/db/database.ts";
import { openPglite, wrapPglite } from "../../src/platform/db/pglite.ts";
import { migratePostgres, openPostgres } from "../../src/platform/db/postgres.ts";
import { throwawayDatabase } from "./throwaway-postgres.ts";
import type { LocalJobRunnerOptions } from "../../src/platform/jobs/local-job-runner.ts";
import { LocalRealtime, type LocalRealtimeOptions } from "../../src/platform/realtime/local-realtime.ts";
import type { Clock } from "../../src/services.ts";

/** A clock tests can move; it follows real time until `set` or `advance` is called. */
export class TestClock implements Clock {
  #offset = 0;
  #frozen: number | undefined;
  now(): Date {
    return new Date(this.#frozen ?? Date.now() + this.#offset);
  }
  advance(ms: number): void {
    if (this.#frozen !== undefined) this.#frozen += ms;
    else this.#offset += ms;
  }
  set(date: Date): void {
    this.#offset = date.getTime() - Date.now();
    if (this.#frozen !== undefined) this.#frozen = date.getTime();
  }
  /** Stops time (at `at`, default now) until `advance`: for limits that count per second. */
  freeze(at = this.now()): void {
    this.#frozen = at.getTime();
  }
}

export const TEST_ENV: RawEnv = {
  APP_ENV: "test",
  LOG_LEVEL: "silent",
  DATABASE_URL: "memory://",
  JWT_SECRET: "test-jwt-secret-that-is-long-enough-for-hs256-0123456789",
  ENCRYPTION_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  PUBLIC_BASE_URL: "http://pytake.test",
  BOOTSTRAP_ADMIN_EMAIL: "root@pytake.test",
  BOOTSTRAP_ADMIN_PASSWORD: "Root-password-1",
  OBSERVABILITY_TOKEN: "scrape-token-for-tests",
  ALLOW_PRIVATE_TARGETS: "true",
};

export function testConfig(overrides: RawEnv = {}): Config {
  return parseConfig({ ...TEST_ENV, ...overrides });
}

/**
 * One migrated PGlite per test process; every test context gets a clone of it, which is far
 * faster than migrating again (DESIGN §8).
 */
let template: Promise<PGlite> | undefined;
export async function freshPglite(): Promise<Database & { client: PGlite }> {
  template ??= openPglite("memory://").then((db) => db.client);
  return wrapPglite(await (await template).clone() as PGlite);
}

export interface TestContext {
  app: App;
  services: AssembledServices;
  clock: TestClock;
  /** The in-process WebSocket hub, on the context's clock. */
  realtime: LocalRealtime;
  /** `app.request` with a client address and an execution context, as the entries pass them. */
  request(
    path: string,
    init?: RequestInit & { json?: unknown; token?: string; ip?: string },
  ): Promise<Response>;
  /** Waits for the work that requests handed to `waitUntil`. */
  settle(): Promise<void>;
  /** Serves the app on a loopback port, for outside stand-ins that call it back. */
  listen(): Promise<{ url: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export interface TestOptions {
  env?: RawEnv;
  database?: Database;
  runner?: LocalJobRunnerOptions;
  /** Collects log lines (JSON strings) instead of dropping them. */
  logSink?: (line: string) => void;
  /** Adds test-only routes; Hono accepts routes only until the first request. */
  extend?: (app: App) => void;
  /** The WebSocket hub's heartbeat timeout and sweep interval. */
  realtime?: Omit<LocalRealtimeOptions, "now">;
}

/**
 * `PYTAKE_TEST_DATABASE=postgres` (the integration suite) runs the same route tests on a real
 * PostgreSQL: each context gets a throwaway database, dropped when it closes.
 */
async function testDatabase(): Promise<{ database: Database; drop?: () => Promise<void> }> {
  if (Deno.env.get("PYTAKE_TEST_DATABASE") !== "postgres") return { database: await freshPglite() };
  const tmp = await throwawayDatabase();
  const database = openPostgres(tmp.url, { max: 4 });
  await migratePostgres(database);
  return { database, drop: tmp.drop };
}

export async function createTestContext(opts: TestOptions = {}): Promise<TestContext> {
  const config = testConfig(opts.env);
  const clock = new TestClock();
  const obs = createObservability({
    level: opts.logSink ? "debug" : "silent",
    sink: opts.logSink,
  });
  const owned = opts.database ? undefined : await testDatabase();
  const database = opts.database ?? owned!.database;
  const realtime = new LocalRealtime({ now: () => clock.now().getTime(), ...opts.realtime });
  const services = assembleServices(config, database, obs, {
    realtime,
    assets: new PackageAssets(),
    clock,
    runner: { backoffMs: () => 0, ...opts.runner },
  });
  const app = createApp(services);
  opts.extend?.(app);
  await ensureBootstrapAdmin(services);
  const pending: Promise<unknown>[] = [];
  const executionCtx = {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException: () => {},
    props: {},
  };
  const settle = async () => {
    while (pending.length) await Promise.allSettled(pending.splice(0));
  };
  // What requests left for after their answer (events fanned out to webhooks, which queues their
  // jobs) has run by the time a test asks the runner for the jobs due: as it would have in production.
  const runner = services.runner;
  if (runner) {
    const drain = runner.drain.bind(runner);
    runner.drain = async (opts) => (await settle(), drain(opts));
  }
  return {
    app,
    services,
    clock,
    realtime,
    async request(path, init = {}) {
      // What earlier requests left for after their answer has run, as it would have by the
      // time a client's next request arrives.
      await settle();
      const { json, token, ip, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) {
        headers.set("content-type", "application/json");
        rest.body = JSON.stringify(json);
      }
      if (token) headers.set("authorization", `Bearer ${token}`);
      return await app.request(path, { ...rest, headers }, { clientIp: ip ?? "203.0.113.10" }, executionCtx);
    },
    settle,
    listen() {
      return new Promise((resolve) => {
        const server = Deno.serve(
          {
            hostname: "127.0.0.1",
            port: 0,
            onListen: ({ port }) =>
              resolve({ url: `http://127.0.0.1:${port}`, close: () => server.shutdown() }),
          },
          (req, info) =>
            app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }, executionCtx),
        );
      });
    },
    async close() {
      await realtime.close();
      await Promise.allSettled(pending);
      await services.runner?.stop();
      await database.close().catch(() => {});
      await owned?.drop?.();
    },
  };
}

/** Parses a response body, failing with the whole response printed when it is not JSON. */
export async function body<T = Record<string, unknown>>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 500)}`);
  }
}
