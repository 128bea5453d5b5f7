import { and, eq, inArray, lt, lte, or, sql } from "drizzle-orm";
import { jobs } from "../../../db/schema/index.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { Logger } from "../../observability/logger.ts";
import { errorSummary } from "../../observability/redact.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { BatchItem } from "drizzle-orm/batch";
import { atomicList, type Database, type Db } from "../db/database.ts";
import {
  defaultBackoffMs,
  type Enqueued,
  type EnqueueOptions,
  type JobQueue,
  type JobRegistry,
  type JobSpec,
  PermanentJobError,
} from "./jobs.ts";

export interface LocalJobRunnerOptions {
  now?: () => Date;
  pollIntervalMs?: number;
  concurrency?: number;
  /** How long a claimed job may run before another process may claim it again. */
  lockSeconds?: number;
  backoffMs?: (attempt: number) => number;
  /** Completed and dead rows are deleted after this long (their dedupe ids become free again). */
  retentionDays?: number;
}

type JobRow = typeof jobs.$inferSelect;

/**
 * Durable in-process job queue. Rows in `jobs` are the truth: enqueue inserts, a poll claims due
 * rows with `FOR UPDATE SKIP LOCKED` (safe with several processes on one database), and each
 * outcome is one UPDATE. A process that dies mid-job leaves a `running` row whose lock runs out;
 * the next poll anywhere claims it again, so no acknowledged job is lost.
 */
export class LocalJobRunner implements JobQueue {
  readonly kind = "local";
  #now: () => Date;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #polling: Promise<number> | undefined;
  #wakeRequested = false;
  #inFlight = new Set<Promise<void>>();
  #lastHousekeeping = 0;

  constructor(
    private readonly database: Database,
    private readonly registry: JobRegistry,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly opts: LocalJobRunnerOptions = {},
  ) {
    this.#now = opts.now ?? (() => new Date());
  }

  #row(name: string, payload: unknown, opts: EnqueueOptions, now: Date): typeof jobs.$inferInsert {
    return {
      id: uuidv7(),
      name,
      payload: payload ?? null,
      runAt: new Date(now.getTime() + (opts.delaySeconds ?? 0) * 1000),
      maxAttempts: opts.maxAttempts ?? this.registry.maxAttempts(name),
      dedupeId: opts.dedupeId,
      createdAt: now,
      updatedAt: now,
    };
  }

  async enqueueMany(
    specs: JobSpec[],
    opts: { with?: (db: Db) => BatchItem<"pg">[] } = {},
  ): Promise<unknown[]> {
    const now = this.#now();
    const rows = specs.map((j) => this.#row(j.name, j.payload, j.opts ?? {}, now));
    const insert = (db: Db) =>
      rows.length ? [db.insert(jobs).values(rows).onConflictDoNothing({ target: jobs.dedupeId })] : [];
    const results = await atomicList(this.database, (db) => [...(opts.with?.(db) ?? []), ...insert(db)]);
    if (specs.some((j) => !j.opts?.delaySeconds)) this.#wake();
    return results.slice(0, results.length - insert(this.database.db).length);
  }

  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<Enqueued> {
    const row = this.#row(name, payload, opts, this.#now());
    const id = row.id!;
    const inserted = await this.database.db.insert(jobs).values(row)
      .onConflictDoNothing({ target: jobs.dedupeId }).returning({ id: jobs.id });
    if (inserted.length === 0) {
      const [existing] = await this.database.db.select({ id: jobs.id }).from(jobs)
        .where(eq(jobs.dedupeId, opts.dedupeId!));
      return { id: existing?.id ?? id, deduplicated: true };
    }
    if (!opts.delaySeconds) this.#wake();
    return { id, deduplicated: false };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling and waits for the jobs already running. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#polling;
    await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Runs every job due now, including retries that fall due meanwhile, and resolves only when each
   * claimed job has recorded its outcome. This is the promise a Worker hands to `waitUntil` (or a
   * cron trigger runs): the whole of the work is inside it, so the runtime cannot end the
   * invocation between the claim and the record (known-pitfalls D.9). `budgetMs` stops claiming
   * new rounds after that long, so a backlog cannot outlive Workers' 30 s `waitUntil` window;
   * what is left is claimed by the next request or the next cron tick.
   */
  async drain(opts: number | { maxRounds?: number; budgetMs?: number } = {}): Promise<number> {
    const { maxRounds = 100, budgetMs = Infinity } = typeof opts === "number" ? { maxRounds: opts } : opts;
    const stopAt = performance.now() + budgetMs;
    let total = 0;
    for (let i = 0; i < maxRounds && performance.now() < stopAt; i++) {
      const n = await this.#claimAndStart();
      await Promise.allSettled([...this.#inFlight]);
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  /**
   * Claims the due jobs (at most `concurrency` minus those in flight) and starts them without
   * waiting for them: on its own only for the poll loop of a long-lived process.
   */
  async #claimAndStart(): Promise<number> {
    const free = (this.opts.concurrency ?? 4) - this.#inFlight.size;
    if (free <= 0) return 0;
    const now = this.#now();
    const lockUntil = new Date(now.getTime() + (this.opts.lockSeconds ?? 300) * 1000);
    const claimable = sql`(select ${jobs.id} from ${jobs}
      where ${
      or(
        and(eq(jobs.status, "pending"), lte(jobs.runAt, now)),
        and(eq(jobs.status, "running"), lt(jobs.lockedUntil, now)),
      )
    }
      order by ${jobs.runAt}
      limit ${free}
      for update skip locked)`;
    const claimed: JobRow[] = await this.database.db.update(jobs)
      .set({ status: "running", attempts: sql`${jobs.attempts} + 1`, lockedUntil: lockUntil, updatedAt: now })
      .where(inArray(jobs.id, claimable))
      .returning();
    for (const job of claimed) {
      const p = this.#execute(job).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
    await this.#housekeeping(now);
    return claimed.length;
  }

  async #execute(job: JobRow): Promise<void> {
    const log = this.log.child({ service: "jobs", job_id: job.id, job: job.name, attempt: job.attempts });
    if (job.attempts > job.maxAttempts) {
      // Claimed again after its last attempt died with the process: nothing left to try.
      await this.#finish(job, "dead", "attempts exhausted (process stopped during the last one)");
      return;
    }
    const started = performance.now();
    try {
      await this.registry.run(job.name, job.payload, {
        jobId: job.id,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        log,
      });
      await this.#finish(job, "completed");
      this.metrics.jobsRun.inc({ name: job.name, outcome: "completed" });
      log.debug("job completed", { ms: Math.round(performance.now() - started) });
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      // With its causes (drizzle wraps the database's own "malformed array literal"), without the
      // statement's parameters or anyone's personal data: it is stored and logged.
      const message = errorSummary(err, 2000);
      if (!permanent && job.attempts < job.maxAttempts) {
        const delay = (this.opts.backoffMs ?? defaultBackoffMs)(job.attempts);
        await this.database.db.update(jobs).set({
          status: "pending",
          runAt: new Date(this.#now().getTime() + delay),
          lockedUntil: null,
          lastError: message,
          updatedAt: this.#now(),
        }).where(eq(jobs.id, job.id));
        this.metrics.jobsRun.inc({ name: job.name, outcome: "retry" });
        log.warn("job failed; will retry", { error: err, retry_in_ms: delay });
      } else {
        await this.#finish(job, "dead", message);
        this.metrics.jobsRun.inc({ name: job.name, outcome: "failed" });
        log.error("job failed for good", { error: err, permanent });
      }
    }
  }

  async #finish(job: JobRow, status: "completed" | "dead", error?: string): Promise<void> {
    const now = this.#now();
    await this.database.db.update(jobs).set({
      status,
      lockedUntil: null,
      completedAt: now,
      updatedAt: now,
      ...(error ? { lastError: error } : {}),
    }).where(eq(jobs.id, job.id));
  }

  async #housekeeping(now: Date): Promise<void> {
    if (now.getTime() - this.#lastHousekeeping < 3_600_000) return;
    this.#lastHousekeeping = now.getTime();
    const cutoff = new Date(now.getTime() - (this.opts.retentionDays ?? 7) * 86_400_000);
    await this.database.db.delete(jobs).where(
      and(inArray(jobs.status, ["completed", "dead"]), lt(jobs.completedAt, cutoff)),
    );
  }

  #wake(): void {
    if (!this.#running) return;
    if (this.#polling) this.#wakeRequested = true;
    else this.#schedule(0);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    if (!this.#running || this.#polling) return;
    let claimed = 0;
    this.#polling = this.#claimAndStart().catch((err) => {
      this.log.error("job poll failed", { service: "jobs", error: err });
      return 0;
    });
    try {
      claimed = await this.#polling;
    } finally {
      this.#polling = undefined;
    }
    // Something claimed or enqueued meanwhile suggests more is due: poll again soon.
    const soon = claimed > 0 || this.#wakeRequested;
    this.#wakeRequested = false;
    if (this.#running) this.#schedule(soon ? 10 : this.opts.pollIntervalMs ?? 1000);
  }
}
