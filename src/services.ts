import type { Config } from "./config.ts";
import type { SecretBox } from "./core/secret-box.ts";
import type { EventBus } from "./events/events.ts";
import type { Observability } from "./observability/observability.ts";
import type { Database } from "./platform/db/database.ts";
import type { JobQueue, JobRegistry } from "./platform/jobs/jobs.ts";
import type { KV } from "./platform/kv/kv.ts";
import type { Mailer } from "./platform/mail/mailer.ts";
import type { RateLimiter } from "./platform/rate-limit/rate-limiter.ts";
import type { Realtime } from "./platform/realtime/realtime.ts";
import type { StaticAssets } from "./platform/assets/static-assets.ts";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Everything the app needs from the outside world, built once by an entry (Deno, Worker, test
 * harness) and injected into `createApp`. Nothing below this line reads env or runtime globals.
 */
export interface Services {
  config: Config;
  database: Database;
  kv: KV;
  rateLimiter: RateLimiter;
  jobs: JobQueue;
  jobRegistry: JobRegistry;
  mailer: Mailer;
  realtime: Realtime;
  obs: Observability;
  clock: Clock;
  events: EventBus;
  /** Encrypts secrets at rest with ENCRYPTION_KEY. */
  secrets: SecretBox;
  /** Outgoing HTTP to outside systems (providers, webhooks): the runtime's fetch in production. */
  fetch: typeof fetch;
  /**
   * True when the process outlives its requests (the Deno server), so work may go on in memory
   * after a response (batching inbound webhooks across requests). False on Workers: an
   * invocation ends once its response and its `waitUntil` promises settle, so anything that is
   * not inside one of those promises goes through the job port instead.
   */
  longLived: boolean;
  /** Files served beside the API (the reference UI at /docs); absent, /docs shows no UI. */
  assets?: StaticAssets;
}
