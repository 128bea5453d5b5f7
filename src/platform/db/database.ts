import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import type * as schema from "../../../db/schema/index.ts";

/** Every driver's drizzle instance, seen through the type they share. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type AtomicBatch = readonly [BatchItem<"pg">, ...BatchItem<"pg">[]];

/**
 * The database port. There is deliberately no interactive `transaction`: neon-http has none
 * (known-pitfalls C.1). A unit of work is one statement, or a non-interactive batch run by
 * `atomic`, whose statements are built from the `Db` it is handed.
 */
export interface Database {
  readonly kind: "pglite" | "neon-http" | "postgres";
  /** Statements worth running at once: 1 for PGlite (one connection), the pool size for TCP. */
  readonly concurrency: number;
  readonly db: Db;
  /** Runs the statements in order, all or nothing, and returns each one's result. */
  atomic<T extends AtomicBatch>(build: (db: Db) => T): Promise<BatchResponse<T>>;
  /** Rows of a raw statement, the same shape on every driver (pitfall B.7). */
  rows<Row = Record<string, unknown>>(query: SQL): Promise<Row[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** `db.execute` answers an array on postgres.js and `{ rows }` on PGlite and neon-http. */
export function resultRows<Row>(result: unknown): Row[] {
  // postgres.js answers an Array subclass; copy it so every driver hands back a plain array.
  if (Array.isArray(result)) return [...result] as Row[];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

/**
 * `atomic` for a list of statements whose length is known only at run time; none at all costs no
 * round trip. Answers each statement's result, in order. (Building a statement runs nothing, so
 * the list is built once to count it and again inside the unit of work.)
 */
export async function atomicList(
  database: Database,
  build: (db: Db) => BatchItem<"pg">[],
): Promise<unknown[]> {
  if (build(database.db).length === 0) return [];
  const results = await database.atomic((db) => build(db) as unknown as AtomicBatch);
  return [...results];
}

/** `atomic` for drivers with real transactions (PGlite, postgres.js). */
export async function atomicViaTransaction<T extends AtomicBatch>(
  db: Db,
  build: (db: Db) => T,
): Promise<BatchResponse<T>> {
  return await db.transaction(async (tx) => {
    const out: unknown[] = [];
    for (const statement of build(tx as unknown as Db)) out.push(await statement);
    return out as BatchResponse<T>;
  });
}
