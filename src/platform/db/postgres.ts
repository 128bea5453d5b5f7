import postgres from "postgres";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import * as schema from "../../../db/schema/index.ts";
import { atomicViaTransaction, type Database, type Db, resultRows } from "./database.ts";
import { migrationsFolder } from "./migrations.ts";

/**
 * A PostgreSQL server over TCP (Deno only): self-hosting, `db:migrate` against Neon, and the
 * integration suite running the whole app on a real server.
 */
export function openPostgres(url: string, opts: { max?: number } = {}): Database {
  const max = opts.max ?? 10;
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: 5 });
  const db = drizzle({ client, schema }) as unknown as Db;
  return {
    kind: "postgres",
    concurrency: max,
    db,
    atomic: (build) => atomicViaTransaction(db, build),
    rows: async (query) => resultRows(await db.execute(query)),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.end({ timeout: 5 }),
  };
}

export async function migratePostgres(database: Database): Promise<void> {
  await migrate(database.db as Parameters<typeof migrate>[0], { migrationsFolder });
}
