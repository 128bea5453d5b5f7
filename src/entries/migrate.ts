/**
 * `deno task db:migrate`: applies db/migrations to the database DATABASE_URL names. Neon is
 * migrated over TCP with postgres.js, whose migrator runs in a transaction (the neon-http one
 * does not, known-pitfalls C.4); a neon-http stand-in (NEON_FETCH_ENDPOINT) over HTTP.
 */
import { migrate as migrateNeonHttp } from "drizzle-orm/neon-http/migrator";
import { ConfigError, parseConfig } from "../config.ts";
import { openNeonHttp } from "../platform/db/neon-http.ts";
import { migrationsFolder } from "../platform/db/migrations.ts";
import { openPglite } from "../platform/db/pglite.ts";
import { migratePostgres, openPostgres } from "../platform/db/postgres.ts";

const env = Deno.env.toObject();
let config;
try {
  config = parseConfig({ ...env, JWT_SECRET: env.JWT_SECRET ?? "x".repeat(32) });
} catch (err) {
  // deno-lint-ignore no-console
  console.error(err instanceof ConfigError ? err.message : err);
  Deno.exit(1);
}
const target = config.database;
const say = (msg: string) => Deno.stderr.writeSync(new TextEncoder().encode(msg + "\n"));

switch (target.kind) {
  case "pglite": {
    if (target.dataDir !== "memory://") await Deno.mkdir(target.dataDir, { recursive: true });
    const db = await openPglite(target.dataDir);
    await db.close();
    say(`migrated PGlite at ${target.dataDir}`);
    break;
  }
  case "postgres": {
    const db = openPostgres(target.url, { max: 1 });
    await migratePostgres(db);
    await db.close();
    say("migrated PostgreSQL");
    break;
  }
  case "neon-http": {
    if (target.fetchEndpoint) {
      const db = openNeonHttp(target.url, { fetchEndpoint: target.fetchEndpoint });
      await migrateNeonHttp(db.db as unknown as Parameters<typeof migrateNeonHttp>[0], { migrationsFolder });
    } else {
      const db = openPostgres(target.url, { max: 1 });
      await migratePostgres(db);
      await db.close();
    }
    say("migrated Neon");
    break;
  }
}
