import type { z } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { Logger } from "../../observability/logger.ts";
import type { Db } from "../db/database.ts";

export interface EnqueueOptions {
  /**
   * Run no earlier than this many seconds from now. QStash rounds up to whole seconds and caps a
   * delay at 7 days on its free plan (a year on pay-as-you-go): work further out re-enqueues
   * itself.
   */
  delaySeconds?: number;
  /**
   * A second enqueue with the same id is a no-op that names the first job, for as long as the
   * first is remembered: locally until its row is purged, 7 days after it finished; on QStash
   * 90 days. Name what is deduplicated: `sandbox:<wamid>:<status>`, `whatsapp.send:<message id>`.
   */
  dedupeId?: string;
  /** Attempts in all, the first included; defaults to the handler's. */
  maxAttempts?: number;
}

export interface Enqueued {
  id: string;
  deduplicated: boolean;
}

export interface JobSpec {
  name: string;
  payload: unknown;
  opts?: EnqueueOptions;
}

/**
 * Job port: the runner on the `jobs` table (`LocalJobRunner`), or QStash calling
 * `/internal/jobs/:name` (`QStashJobQueue`). The contract both keep, tested by one suite
 * (tests/contracts/jobs-contract.ts):
 *
 * - Delivery is at least once. A run that died before recording its outcome (a process killed,
 *   a Worker cut at the end of its `waitUntil` window, QStash's answer lost) runs again, so a
 *   handler's outside effects must be idempotent: write on a unique constraint, or key them on
 *   `ctx.jobId`, which is the same for every run of one job.
 * - A job that completed never runs again, and two deliveries of one job at once run it once
 *   (locally the claim is one `UPDATE … FOR UPDATE SKIP LOCKED`; on QStash the delivery ledger in
 *   KV claims each message id, src/platform/jobs/delivery-ledger.ts).
 * - A failure is retried with backoff until `maxAttempts` runs in all; `PermanentJobError` (and a
 *   payload the handler's schema refuses) ends it at once. Backoff: locally 10 s, 20 s, 40 s …
 *   capped at 1 h, ±20%; on QStash its own, min(1 day, e^(2.5·retried)) s.
 * - The payload is JSON; it is validated by the handler's schema when the job runs.
 * - What "done" means on each runtime:
 *   - Deno server: the `jobs` row is `completed` (or `dead` after its last attempt); the
 *     runner polls every second and wakes on an enqueue due now.
 *   - Workers without QStash (development only): the same rows, drained after each response and
 *     on each cron tick, claim and run and record inside the promise given to `waitUntil`; a run
 *     the runtime cut is claimed again once its 60 s lock runs out.
 *   - QStash (Workers and Deno Deploy in production): the callback answered 2xx and the ledger
 *     says `completed`; there are no `jobs` rows, QStash's console shows the messages.
 */
export interface JobQueue {
  readonly kind: "local" | "qstash";
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<Enqueued>;
  /**
   * Several jobs in one go, and `with`: statements to commit in the same unit of work. On the local
   * runner the job rows join their batch (one round trip; the jobs exist exactly when the
   * statements took effect); QStash publishes once the statements are committed. Answers the
   * results of `with`.
   */
  enqueueMany(jobs: JobSpec[], opts?: { with?: (db: Db) => BatchItem<"pg">[] }): Promise<unknown[]>;
}

export interface JobContext {
  /** Stable across every run and delivery of one job: the row id, or QStash's message id. */
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  log: Logger;
}

/** Thrown by a handler when retrying cannot help (a 4xx from a webhook endpoint, say). */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentJobError";
  }
}

interface Registered {
  schema: z.ZodType;
  handler: (payload: never, ctx: JobContext) => Promise<void> | void;
  maxAttempts: number;
}

/** What each job name does. Areas register their handlers when the app is built. */
export class JobRegistry {
  #handlers = new Map<string, Registered>();

  register<S extends z.ZodType>(
    name: string,
    schema: S,
    handler: (payload: z.infer<S>, ctx: JobContext) => Promise<void> | void,
    opts: { maxAttempts?: number } = {},
  ): void {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`bad job name: ${name}`);
    if (this.#handlers.has(name)) throw new Error(`job ${name} registered twice`);
    this.#handlers.set(name, { schema, handler, maxAttempts: opts.maxAttempts ?? 5 });
  }

  has(name: string): boolean {
    return this.#handlers.has(name);
  }

  maxAttempts(name: string): number {
    return this.#handlers.get(name)?.maxAttempts ?? 5;
  }

  /** Validates the payload, then runs the handler; a bad payload can never succeed later. */
  async run(name: string, payload: unknown, ctx: JobContext): Promise<void> {
    const reg = this.#handlers.get(name);
    if (!reg) throw new PermanentJobError(`no handler for job ${name}`);
    const parsed = reg.schema.safeParse(payload);
    if (!parsed.success) {
      throw new PermanentJobError(`invalid payload for ${name}: ${parsed.error.issues[0]?.message}`);
    }
    await reg.handler(parsed.data as never, ctx);
  }
}

/** Exponential backoff with ±20% jitter: 10 s, 20 s, 40 s, … capped at one hour. */
export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(10_000 * 2 ** (attempt - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
