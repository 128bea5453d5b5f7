import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { JobRegistry } from "../../src/platform/jobs/jobs.ts";
import { LocalJobRunner } from "../../src/platform/jobs/local-job-runner.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { migratePostgres, openPostgres } from "../../src/platform/db/postgres.ts";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, createApiKey, login, registerTenant } from "../support/identity.ts";
import { throwawayDatabase } from "../support/throwaway-postgres.ts";

/** The whole app on a real PostgreSQL server (DATABASE_URL=postgres://… on Deno). */
Deno.test("app on PostgreSQL: identity flows end to end", async () => {
  const tmp = await throwawayDatabase();
  const database = openPostgres(tmp.url);
  await migratePostgres(database);
  const ctx = await createTestContext({ database });
  try {
    const owner = await registerTenant(ctx);
    const agent = await addUser(ctx, owner.token, "agent");
    const key = await createApiKey(ctx, owner.token, ["read:users"]);
    const users = await body<{ meta: { total: number } }>(await ctx.request("/api/v1/users", { token: key }));
    assert.equal(users.meta.total, 2);
    assert.equal((await login(ctx, agent.email)).status, 200);
    const ready = await body<{ checks: { database: { driver: string } } }>(
      await ctx.request("/observability/ready"),
    );
    assert.equal(ready.checks.database.driver, "postgres");
  } finally {
    await ctx.close();
    await tmp.drop();
  }
});

Deno.test("local job runner on PostgreSQL: two runners never run a job twice", async () => {
  const tmp = await throwawayDatabase();
  const database = openPostgres(tmp.url, { max: 8 });
  await migratePostgres(database);
  const obs = createObservability({ level: "silent" });
  const runs = new Map<number, number>();
  const registry = new JobRegistry();
  registry.register("count", z.object({ n: z.number() }), async ({ n }) => {
    await new Promise((r) => setTimeout(r, 2));
    runs.set(n, (runs.get(n) ?? 0) + 1);
  });
  const a = new LocalJobRunner(database, registry, obs.log, obs.metrics, { concurrency: 4 });
  const b = new LocalJobRunner(database, registry, obs.log, obs.metrics, { concurrency: 4 });
  try {
    for (let n = 0; n < 200; n++) await a.enqueue("count", { n });
    await Promise.all([a.drain(), b.drain()]);
    assert.equal(runs.size, 200);
    assert.ok([...runs.values()].every((count) => count === 1), "SKIP LOCKED hands each job to one runner");
  } finally {
    await a.stop();
    await b.stop();
    await database.close();
    await tmp.drop();
  }
});
