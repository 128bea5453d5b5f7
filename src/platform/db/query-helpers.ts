import { type Column, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database, Db } from "./database.ts";
import { allReads, readQuery, runReads } from "./reads.ts";

/** Rows of `table` matching `where`: the `total` of a paginated list. */
export async function countRows(db: Db, table: PgTable, where?: SQL): Promise<number> {
  const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(table).where(where);
  return n;
}

/** The `count(*)` of a list, as a statement to send in the same batch as the page it totals. */
export const countOf = (db: Db, table: PgTable, where?: SQL) =>
  db.select({ n: sql<number>`count(*)::int` }).from(table).where(where);

/**
 * A page of a list and its total in one round trip (ROUND_TRIP_BUDGET.read): both statements go
 * out in one batch, which also makes them agree (one snapshot).
 */
export async function pageAndTotal<Q extends BatchItem<"pg">>(
  database: Database,
  page: (db: Db) => Q,
  table: PgTable,
  where?: SQL,
): Promise<{ rows: Awaited<Q>; total: number }> {
  const r = await runReads(
    database,
    allReads({ rows: readQuery(page), counted: readQuery((db) => countOf(db, table, where)) }),
  );
  return { rows: r.rows as Awaited<Q>, total: r.counted[0].n };
}

/** A LIKE/ILIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/** Words of a search beyond this many are ignored: each one is a condition of its own. */
const MAX_SEARCH_WORDS = 8;

/**
 * Every word of `q` found in `text`, in any order: `zebra orcamento` finds "Quero o orçamento da
 * fibra zebra". `text` must be the expression of a pg_trgm index, lower-cased and unaccented
 * (`f_unaccent(lower(…))`); each word is lowered and unaccented the same way and becomes its own
 * `LIKE '%word%'`, and the GIN index answers all of them in one scan. `term` may rewrite a word
 * (a phone's digits); a word it turns empty is dropped.
 */
export function matchesEveryWord(text: SQL, q: string, term: (word: string) => string = (w) => w): SQL {
  const words = [...new Set(q.trim().split(/\s+/).map(term).filter(Boolean))].slice(0, MAX_SEARCH_WORDS);
  if (words.length === 0) return sql`true`;
  return sql.join(
    words.map((w) => sql`${text} like f_unaccent(lower(${containsPattern(w)}))`),
    sql` and `,
  );
}

/**
 * A `text[]` parameter. drizzle spreads a JS array in a template into `($1, $2)`, which is not an
 * array; this builds `array[$1, $2]::text[]` (and `'{}'` for none).
 */
export function textArray(values: readonly string[]): SQL {
  if (values.length === 0) return sql`'{}'::text[]`;
  return sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;
}

/**
 * A `text[]` column with `values` added (those it lacks, in their order) or removed, computed
 * from the row as the statement finds it, so changes made concurrently by others are kept.
 */
export const arrayWith = (column: SQL | Column, values: SQL): SQL =>
  sql`${column} || array(select t from unnest(${values}) as t where not t = any(${column}))`;

export const arrayWithout = (column: SQL | Column, values: SQL): SQL =>
  sql`array(select t from unnest(${column}) as t where not t = any(${values}))`;
