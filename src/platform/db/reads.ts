import type { BatchItem } from "drizzle-orm/batch";
import type { SQL } from "drizzle-orm";
import { type AtomicBatch, type Database, type Db, resultRows } from "./database.ts";

/**
 * Statements and what their results mean, kept apart so that independent reads (the figures of
 * a report, the parts of a dashboard) can share one batch: one round trip on Neon however many
 * there are (src/platform/db/round-trips.ts). Build each part as a `Reads`, combine them with
 * `allReads`, run the whole with `runReads`.
 */
export interface Reads<T> {
  build(db: Db): Built<T>;
}

interface Built<T> {
  statements: BatchItem<"pg">[];
  /** Gets the results of exactly these statements, in order. */
  decode(results: unknown[]): T;
}

/** One statement made with drizzle's query builder; answers its rows (`mapRead` to shape them). */
export function readQuery<Q extends BatchItem<"pg">>(query: (db: Db) => Q): Reads<Awaited<Q>> {
  return { build: (db) => ({ statements: [query(db)], decode: ([rows]) => rows as Awaited<Q> }) };
}

/** One raw SQL statement; its rows (the same shape on every driver) go to `decode`. */
export function readSql<Row, T = Row[]>(
  query: SQL,
  decode: (rows: Row[]) => T = (rows) => rows as unknown as T,
): Reads<T> {
  return {
    build: (db) => ({
      statements: [db.execute(query)],
      decode: ([result]) => decode(resultRows<Row>(result)),
    }),
  };
}

type Answers<R extends Record<string, Reads<unknown>>> = {
  [K in keyof R]: R[K] extends Reads<infer T> ? T : never;
};

/** Several reads as one: their statements side by side, their answers under the same keys. */
export function allReads<R extends Record<string, Reads<unknown>>>(parts: R): Reads<Answers<R>> {
  return {
    build(db) {
      const built = Object.entries(parts).map(([key, r]) => [key, r.build(db)] as const);
      return {
        statements: built.flatMap(([, b]) => b.statements),
        decode(results) {
          const out: Record<string, unknown> = {};
          let at = 0;
          for (const [key, b] of built) {
            out[key] = b.decode(results.slice(at, at + b.statements.length));
            at += b.statements.length;
          }
          return out as Answers<R>;
        },
      };
    },
  };
}

/** A read whose answer is computed from another's. */
export function mapRead<A, B>(r: Reads<A>, f: (a: A) => B): Reads<B> {
  return {
    build(db) {
      const b = r.build(db);
      return { statements: b.statements, decode: (results) => f(b.decode(results)) };
    },
  };
}

/** Runs the reads (one statement at least) in one round trip: a batch on neon-http, a transaction elsewhere. */
export async function runReads<T>(database: Database, r: Reads<T>): Promise<T> {
  let built: Built<T> | undefined;
  const results = await database.atomic((db) => {
    built = r.build(db);
    return built.statements as unknown as AtomicBatch;
  });
  return built!.decode(results as unknown as unknown[]);
}
