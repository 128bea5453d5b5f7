import { neon, neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import * as schema from "../../../db/schema/index.ts";
import type { Database, Db } from "./database.ts";
import { resultRows } from "./database.ts";

/**
 * Neon over HTTP: one fetch per statement, `batch` for atomic units (no transactions at all).
 * `fetchEndpoint` points the driver at another host speaking Neon's protocol (tests' stand-in).
 */
export function openNeonHttp(url: string, opts: { fetchEndpoint?: string } = {}): Database {
  // The driver keeps this in a module-level config; one process talks to one endpoint.
  if (opts.fetchEndpoint) neonConfig.fetchEndpoint = opts.fetchEndpoint;
  const client = neon(url);
  const neonDb = drizzle({ client, schema });
  const db = neonDb as unknown as Db;
  return {
    kind: "neon-http",
    // Each statement is its own HTTP request; Neon's proxy takes many at once.
    concurrency: 16,
    db,
    atomic: (build) => neonDb.batch(build(db) as never) as never,
    rows: async (query) => resultRows(await db.execute(query)),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => Promise.resolve(),
  };
}
