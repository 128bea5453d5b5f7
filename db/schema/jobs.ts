import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";

export const jobStatuses = ["pending", "running", "completed", "dead"] as const;
export type JobStatus = typeof jobStatuses[number];

/**
 * Durable job queue of the in-process runner (the QStash adapter does not use it). A job is a row
 * until it completes or dies, so a restart loses nothing: due rows run when the process is back.
 */
export const jobs = pgTable("jobs", {
  id: id(),
  name: text("name").notNull(),
  payload: jsonb("payload").notNull(),
  status: text("status", { enum: jobStatuses }).notNull().default("pending"),
  runAt: timestamptz("run_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
  maxAttempts: integer("max_attempts").notNull(),
  /** Same id, same job: a second enqueue is a no-op while the first row exists. */
  dedupeId: text("dedupe_id"),
  /** A `running` row whose lock has passed belongs to a process that died; it is claimed again. */
  lockedUntil: timestamptz("locked_until"),
  lastError: text("last_error"),
  completedAt: timestamptz("completed_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("jobs_dedupe_id_key").on(t.dedupeId),
  index("jobs_due_idx").on(t.runAt).where(sql`status in ('pending', 'running')`),
]);
