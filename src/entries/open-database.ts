import type { DatabaseTarget } from "../config.ts";
import type { Database } from "../platform/db/database.ts";
import { openNeonHttp } from "../platform/db/neon-http.ts";
import { openPglite } from "../platform/db/pglite.ts";
import { migratePostgres, openPostgres } from "../platform/db/postgres.ts";

/**
 * Opens the database the config names, on Deno. PGlite and TCP PostgreSQL are migrated here at
 * boot; Neon is migrated by `deno task db:migrate` (a pre-deploy step), never by a serving process.
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  switch (target.kind) {
    case "pglite":
      if (target.dataDir !== "memory://") await Deno.mkdir(target.dataDir, { recursive: true });
      return await openPglite(target.dataDir);
    case "postgres": {
      const db = openPostgres(target.url);
      await migratePostgres(db);
      return db;
    }
    case "neon-http":
      return openNeonHttp(target.url, { fetchEndpoint: target.fetchEndpoint });
  }
}
