import { strict as assert } from "node:assert";
import { openNeonHttp } from "../../src/platform/db/neon-http.ts";
import { body, createTestContext, freshPglite } from "../support/harness.ts";
import { registerTenant } from "../support/identity.ts";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";

/**
 * A database outage on the production driver: Neon's endpoint stops answering. Readiness names
 * the database, requests that need it answer 503 problems, the process keeps serving what does
 * not need it, and everything recovers when the endpoint comes back on the same address.
 */
Deno.test("database outage: 503 while it lasts, recovery when it ends", async () => {
  const backing = await freshPglite();
  const backend = pgliteBackend(backing.client);
  let standIn = await startNeonHttpStandIn(backend);
  const database = openNeonHttp("postgres://app:secret@ep-outage.eu-central-1.aws.neon.tech/neondb", {
    fetchEndpoint: standIn.url,
  });
  const ctx = await createTestContext({ database });
  try {
    const owner = await registerTenant(ctx);
    await standIn.close();

    const ready = await ctx.request("/observability/ready");
    const r = await body<{ code: string; checks: { database: { status: string }; kv: { status: string } } }>(
      ready,
    );
    assert.equal(ready.status, 503);
    assert.deepEqual([r.checks.database.status, r.checks.kv.status], ["down", "up"]);

    const users = await ctx.request("/api/v1/users", { token: owner.token });
    const p = await body(users);
    assert.equal(users.status, 503, JSON.stringify(p));
    assert.equal(p.code, "service_unavailable");
    assert.equal(users.headers.get("retry-after"), "5");
    assert.equal((await ctx.request("/observability/live")).status, 200, "the process carries on");

    standIn = await startNeonHttpStandIn(backend, { port: standIn.port });
    assert.equal((await ctx.request("/observability/ready")).status, 200);
    const back = await ctx.request("/api/v1/users", { token: owner.token });
    assert.equal(back.status, 200);
    assert.equal((await body<{ meta: { total: number } }>(back)).meta.total, 1, "no data lost");
  } finally {
    await ctx.close();
    await standIn.close();
    await backing.close();
  }
});
