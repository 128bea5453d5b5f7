import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { unaccent } from "@electric-sql/pglite/contrib/unaccent";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import * as schema from "../../../db/schema/index.ts";
import { atomicViaTransaction, type Database, type Db, resultRows } from "./database.ts";
import { migrationsFolder } from "./migrations.ts";

/** Embedded PostgreSQL (WASM): a folder under `.data/` in dev, `memory://` in tests. */
export async function openPglite(dataDir: string): Promise<Database & { client: PGlite }> {
  // Extensions are loaded where the database opens; the migrations then CREATE EXTENSION them.
  const extensions = { pg_trgm, unaccent };
  const client = dataDir === "memory://"
    ? await PGlite.create({ extensions })
    : await PGlite.create(dataDir, { extensions });
  const database = wrapPglite(client);
  await migrate(database.db as Parameters<typeof migrate>[0], { migrationsFolder });
  return database;
}

/** Wraps an open PGlite (a clone of a migrated template in tests) without migrating it. */
export function wrapPglite(client: PGlite): Database & { client: PGlite } {
  const db = drizzle({ client, schema }) as unknown as Db;
  return {
    kind: "pglite",
    concurrency: 1,
    db,
    client,
    atomic: (build) => atomicViaTransaction(db, build),
    rows: async (query) => resultRows(await db.execute(query)),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}
