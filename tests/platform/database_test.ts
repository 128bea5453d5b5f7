import { databaseContract } from "../contracts/database-contract.ts";
import { freshPglite } from "../support/harness.ts";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";
import { openNeonHttp } from "../../src/platform/db/neon-http.ts";

Deno.test("database contract: PGlite", async (t) => {
  const db = await freshPglite();
  try {
    await databaseContract(t, db);
  } finally {
    await db.close();
  }
});

Deno.test("database contract: neon-http through the Neon SQL-over-HTTP stand-in", async (t) => {
  const backing = await freshPglite();
  const standIn = await startNeonHttpStandIn(pgliteBackend(backing.client));
  try {
    const db = openNeonHttp("postgres://app:secret@ep-contract.eu-central-1.aws.neon.tech/neondb", {
      fetchEndpoint: standIn.url,
    });
    await databaseContract(t, db);
  } finally {
    await standIn.close();
    await backing.close();
  }
});
