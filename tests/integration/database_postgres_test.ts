import { openNeonHttp } from "../../src/platform/db/neon-http.ts";
import { migratePostgres, openPostgres } from "../../src/platform/db/postgres.ts";
import { databaseContract } from "../contracts/database-contract.ts";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { postgresBackend } from "../support/sql-backend.ts";
import { throwawayDatabase } from "../support/throwaway-postgres.ts";

/** The database contract on a real PostgreSQL: over TCP (postgres.js) and over Neon's HTTP protocol. */
Deno.test("database contract: PostgreSQL over TCP", async (t) => {
  const tmp = await throwawayDatabase();
  const db = openPostgres(tmp.url);
  try {
    await migratePostgres(db);
    await databaseContract(t, db);
  } finally {
    await db.close();
    await tmp.drop();
  }
});

Deno.test("database contract: neon-http through the stand-in on PostgreSQL", async (t) => {
  const tmp = await throwawayDatabase();
  const migrator = openPostgres(tmp.url, { max: 1 });
  await migratePostgres(migrator);
  await migrator.close();
  const backend = postgresBackend(tmp.url);
  const standIn = await startNeonHttpStandIn(backend);
  try {
    const db = openNeonHttp("postgres://app:secret@ep-int.eu-central-1.aws.neon.tech/neondb", {
      fetchEndpoint: standIn.url,
    });
    await databaseContract(t, db);
  } finally {
    await standIn.close();
    await backend.close();
    await tmp.drop();
  }
});
