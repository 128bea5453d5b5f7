import type { Config } from "../config.ts";
import { SecretBox } from "../core/secret-box.ts";
import { EventBus } from "../events/events.ts";
import type { Observability } from "../observability/observability.ts";
import { type Clock, type Services, systemClock } from "../services.ts";
import type { StaticAssets } from "./assets/static-assets.ts";
import type { Database } from "./db/database.ts";
import { JobRegistry } from "./jobs/jobs.ts";
import { LocalJobRunner, type LocalJobRunnerOptions } from "./jobs/local-job-runner.ts";
import { QStashJobQueue } from "./jobs/qstash-jobs.ts";
import { MemoryKV } from "./kv/memory-kv.ts";
import { createUpstashRedis, UpstashKV } from "./kv/upstash-kv.ts";
import { type Mail, OutboxMailer } from "./mail/mailer.ts";
import { MemoryRateLimiter } from "./rate-limit/memory-rate-limiter.ts";
import { UpstashRateLimiter } from "./rate-limit/upstash-rate-limiter.ts";
import type { Realtime } from "./realtime/realtime.ts";

export interface AssembledServices extends Services {
  /** Present when jobs run in this process (no QStash configured); the entry starts it. */
  runner?: LocalJobRunner;
}

/**
 * Picks each port's adapter from the config: the real service when its variables are set, the
 * embedded default otherwise (DESIGN §3). Shared by the Deno and Worker entries; only opening the
 * database differs between them.
 */
export function assembleServices(
  config: Config,
  database: Database,
  obs: Observability,
  opts: {
    realtime: Realtime;
    clock?: Clock;
    runner?: LocalJobRunnerOptions;
    fetch?: typeof fetch;
    /** False on Workers: see `Services.longLived`. Default true (a Deno server). */
    longLived?: boolean;
    /** Shows each mail whole to a developer (the Deno entry, in development only). */
    devMailbox?: (mail: Mail) => void;
    /** Where this runtime keeps the files served beside the API (src/platform/assets). */
    assets?: StaticAssets;
  },
): AssembledServices {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const redis = config.upstashRedis ? createUpstashRedis(config.upstashRedis) : undefined;
  const kv = redis ? new UpstashKV(redis, "pytake:") : new MemoryKV(now);
  const rateLimiter = redis ? new UpstashRateLimiter(redis, obs.log) : new MemoryRateLimiter(now);
  const jobRegistry = new JobRegistry();
  const runner = config.qstash ? undefined : new LocalJobRunner(database, jobRegistry, obs.log, obs.metrics, {
    now: () => clock.now(),
    ...opts.runner,
  });
  const jobs = config.qstash
    ? new QStashJobQueue(config.qstash, config.publicBaseUrl, jobRegistry, database)
    : runner!;
  const mailer = new OutboxMailer(database, obs.log, { devMailbox: opts.devMailbox });
  const events = new EventBus({ realtime: opts.realtime, obs, clock });
  return {
    events,
    secrets: new SecretBox(config.encryptionKey ?? ""),
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    config,
    database,
    kv,
    rateLimiter,
    jobs,
    jobRegistry,
    mailer,
    realtime: opts.realtime,
    assets: opts.assets,
    obs,
    clock,
    runner,
    longLived: opts.longLived ?? true,
  };
}
