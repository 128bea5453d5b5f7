import type { z } from "@hono/zod-openapi";
import type { BatchItem } from "drizzle-orm/batch";
import type { Logger } from "../../observability/logger.ts";
import type { Db } from "../db/database.ts";

export interface EnqueueOptions {
  /** Run no earlier than this many seconds from now. */
  delaySeconds?: number;
  /** A second enqueue with the same id is a no-op (QStash keeps these ids for 90 days). */
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

/** Job port: the in-process runner on the `jobs` table, or QStash calling `/internal/jobs/:name`. */
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
