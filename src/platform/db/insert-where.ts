import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./database.ts";

/**
 * `INSERT INTO t (…) SELECT <values> WHERE <condition> RETURNING id`: a conditional insert in one
 * statement (a quota that must hold, an audit row only if the change it records happened), for
 * drivers without interactive transactions (DESIGN §4). Values go through each column's own
 * driver mapping and are cast to its SQL type, as a plain insert would.
 */
export function insertWhere<T extends PgTable>(db: Db, table: T, values: T["$inferInsert"], condition: SQL) {
  const columns = getTableColumns(table) as Record<string, ReturnType<typeof getTableColumns>[string]>;
  const entries = Object.entries(values as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const names = sql.join(entries.map(([k]) => sql.identifier(columns[k].name)), sql`, `);
  const selected = sql.join(
    entries.map(([k, v]) => {
      const col = columns[k];
      const param = v === null ? null : col.mapToDriverValue(v);
      return sql`${param}::${sql.raw(col.getSQLType())}`;
    }),
    sql`, `,
  );
  return db.execute(
    sql`insert into ${table} (${names}) select ${selected} where ${condition} returning 1 as inserted`,
  );
}
