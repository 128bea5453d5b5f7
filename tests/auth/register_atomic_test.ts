import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { auditLog, tenants, users } from "../../db/schema/index.ts";
import type { RequestMeta } from "../../src/audit/audit-log.ts";
import { register } from "../../src/auth/register.ts";
import { openNeonHttp } from "../../src/platform/db/neon-http.ts";
import { body, createTestContext, freshPglite, type TestContext } from "../support/harness.ts";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";

/**
 * Sign-up writes the tenant, its owner and the audit entry as one atomic unit (a transaction on
 * PGlite and PostgreSQL, one `batch` request on Neon): when a later statement fails, the tenant
 * written before it is gone too, and the same email can sign up again.
 */

const meta = (userAgent: string | null = "test"): RequestMeta => ({
  ip: "203.0.113.7",
  userAgent,
  requestId: crypto.randomUUID(),
  principal: undefined,
});

async function atomicSignUp(t: Deno.TestContext, ctx: TestContext) {
  const db = ctx.services.database.db;
  const tenantsNamed = async (name: string) =>
    (await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, name))).length;

  await t.step("the owner's insert (the second statement) fails: no tenant is left", async () => {
    const email = `orfa.${crypto.randomUUID().slice(0, 8)}@example.com`;
    await assert.rejects(register(ctx.services, meta(), {
      email,
      password: "Senha-forte-1",
      name: "Dona\u0000Maria",
      tenant_name: "Provedor Órfão Um",
    }));
    assert.equal(await tenantsNamed("Provedor Órfão Um"), 0);
    assert.deepEqual(await db.select().from(users).where(eq(users.email, email)), []);
  });

  await t.step("the audit entry (the last statement) fails: tenant and owner are both gone", async () => {
    const email = `orfa.${crypto.randomUUID().slice(0, 8)}@example.com`;
    await assert.rejects(register(ctx.services, meta("agente\u0000quebrado"), {
      email,
      password: "Senha-forte-1",
      name: "Dona Maria",
      tenant_name: "Provedor Órfão Dois",
    }));
    assert.equal(await tenantsNamed("Provedor Órfão Dois"), 0);
    assert.deepEqual(await db.select().from(users).where(eq(users.email, email)), []);
    assert.deepEqual(await db.select().from(auditLog).where(eq(auditLog.action, "auth.register")), []);

    // Nothing of the failed attempt is in the way of the next one.
    const res = await ctx.request("/api/v1/auth/register", {
      method: "POST",
      json: { email, password: "Senha-forte-1", name: "Dona Maria", tenant_name: "Provedor Órfão Dois" },
    });
    assert.equal(res.status, 201, JSON.stringify(await body(res)));
    assert.equal(await tenantsNamed("Provedor Órfão Dois"), 1);
  });
}

Deno.test("register: a failing later statement leaves no orphan tenant (PGlite)", async (t) => {
  const ctx = await createTestContext();
  try {
    await atomicSignUp(t, ctx);
  } finally {
    await ctx.close();
  }
});

Deno.test("register: a failing later statement leaves no orphan tenant (Neon over HTTP, one batch)", async (t) => {
  const backing = await freshPglite();
  const neon = await startNeonHttpStandIn(pgliteBackend(backing.client));
  const ctx = await createTestContext({
    database: openNeonHttp("postgres://app:secret@ep-register.eu-central-1.aws.neon.tech/neondb", {
      fetchEndpoint: neon.url,
    }),
  });
  try {
    const before = neon.requests.length;
    await atomicSignUp(t, ctx);
    // Each sign-up, failed or not, was one request holding its three statements.
    const batches = neon.requests.slice(before).map((r) => (r.body as { queries?: unknown[] }).queries)
      .filter((q) => q?.length === 3);
    assert.equal(batches.length, 3);
  } finally {
    await ctx.close();
    await neon.close();
    await backing.close();
  }
});
