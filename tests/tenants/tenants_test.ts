import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { apiKeys, jobs, tenants, users } from "../../db/schema/index.ts";
import { body, createTestContext } from "../support/harness.ts";
import {
  addUser,
  createApiKey,
  lastMail,
  loginToken,
  registerTenant,
  ROOT,
  uniqueEmail,
} from "../support/identity.ts";

type Tenant = {
  id: string;
  name: string;
  plan: string;
  status: string;
  domain: string | null;
  settings: Record<string, unknown>;
  limits: { users: number; api_requests_per_minute: number };
  usage?: { users: number };
  purge_after: string | null;
  suspended_reason: string | null;
};

Deno.test("tenants: the platform admin manages tenants", async (t) => {
  const ctx = await createTestContext();
  try {
    const root = await loginToken(ctx, ROOT.email, ROOT.password);
    let created: Tenant;
    const ownerEmail = uniqueEmail("boss");

    await t.step("create with a domain, a plan and an invited owner", async () => {
      const res = await ctx.request("/api/v1/tenants", {
        method: "POST",
        token: root,
        json: {
          name: "Empresa ABC",
          domain: "ABC.pytake.net",
          plan: "growth",
          owner: { email: ownerEmail, name: "Chefe" },
        },
      });
      created = await body<Tenant>(res);
      assert.equal(res.status, 201, JSON.stringify(created));
      assert.equal(created.domain, "abc.pytake.net");
      assert.equal(created.plan, "growth");
      assert.equal(created.limits.users, 50);
      assert.equal(created.usage!.users, 1);
      assert.equal(created.settings.timezone, "America/Sao_Paulo");
      const { mail } = await lastMail(ctx, ownerEmail);
      assert.equal(mail.kind, "invitation");
    });

    await t.step("the same domain again: 409", async () => {
      const res = await ctx.request("/api/v1/tenants", {
        method: "POST",
        token: root,
        json: { name: "Copycat", domain: "abc.pytake.net" },
      });
      assert.equal(res.status, 409);
      await res.body?.cancel();
    });

    await t.step("list, filter, search", async () => {
      await registerTenant(ctx, { tenantName: "Outra Empresa" });
      const all = await body<{ data: Tenant[]; meta: { total: number } }>(
        await ctx.request("/api/v1/tenants", { token: root }),
      );
      assert.ok(all.meta.total >= 2);
      const growth = await body<{ data: Tenant[] }>(
        await ctx.request("/api/v1/tenants?plan=growth", { token: root }),
      );
      assert.deepEqual(growth.data.map((x) => x.name), ["Empresa ABC"]);
      const q = await body<{ data: Tenant[] }>(await ctx.request("/api/v1/tenants?q=outra", { token: root }));
      assert.deepEqual(q.data.map((x) => x.name), ["Outra Empresa"]);
    });

    await t.step("upgrade goes up only", async () => {
      const up = await ctx.request(`/api/v1/tenants/${created.id}/upgrade`, {
        method: "POST",
        token: root,
        json: { plan: "enterprise" },
      });
      assert.equal((await body<Tenant>(up)).plan, "enterprise");
      const down = await ctx.request(`/api/v1/tenants/${created.id}/upgrade`, {
        method: "POST",
        token: root,
        json: { plan: "starter" },
      });
      assert.equal(down.status, 409);
      await down.body?.cancel();
      const same = await ctx.request(`/api/v1/tenants/${created.id}/upgrade`, {
        method: "POST",
        token: root,
        json: { plan: "enterprise" },
      });
      assert.equal(same.status, 409);
      await same.body?.cancel();
    });

    await t.step("suspend needs a reason, then reactivate", async () => {
      const noReason = await ctx.request(`/api/v1/tenants/${created.id}/suspend`, {
        method: "POST",
        token: root,
        json: {},
      });
      assert.equal(noReason.status, 422);
      await noReason.body?.cancel();
      const s = await body<Tenant>(
        await ctx.request(`/api/v1/tenants/${created.id}/suspend`, {
          method: "POST",
          token: root,
          json: { reason: "Pagamento pendente" },
        }),
      );
      assert.deepEqual([s.status, s.suspended_reason], ["suspended", "Pagamento pendente"]);
      const again = await ctx.request(`/api/v1/tenants/${created.id}/suspend`, {
        method: "POST",
        token: root,
        json: { reason: "twice" },
      });
      assert.equal(again.status, 409);
      await again.body?.cancel();
      const r = await body<Tenant>(
        await ctx.request(`/api/v1/tenants/${created.id}/reactivate`, { method: "POST", token: root }),
      );
      assert.deepEqual([r.status, r.suspended_reason], ["active", null]);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("tenants: owners read and update their own tenant only", async () => {
  const ctx = await createTestContext();
  try {
    const a = await registerTenant(ctx);
    const b = await registerTenant(ctx);
    const mine = await ctx.request(`/api/v1/tenants/${a.tenantId}`, { token: a.token });
    assert.equal(mine.status, 200);
    await mine.body?.cancel();
    const theirs = await ctx.request(`/api/v1/tenants/${b.tenantId}`, { token: a.token });
    assert.equal(theirs.status, 404);
    await theirs.body?.cancel();

    const upd = await ctx.request(`/api/v1/tenants/${a.tenantId}`, {
      method: "PUT",
      token: a.token,
      json: { name: "Novo Nome", settings: { timezone: "America/Manaus", business_hours: { sun: null } } },
    });
    const t = await body<Tenant>(upd);
    assert.equal(upd.status, 200, JSON.stringify(t));
    assert.equal(t.name, "Novo Nome");
    assert.equal(t.settings.timezone, "America/Manaus");
    assert.equal(t.settings.language, "pt-BR", "settings are merged, not replaced");

    const badTz = await ctx.request(`/api/v1/tenants/${a.tenantId}`, {
      method: "PUT",
      token: a.token,
      json: { settings: { timezone: "Mars/Olympus" } },
    });
    assert.equal(badTz.status, 422);
    await badTz.body?.cancel();
    const typo = await ctx.request(`/api/v1/tenants/${a.tenantId}`, {
      method: "PUT",
      token: a.token,
      json: { settings: { timezon: "UTC" } },
    });
    assert.equal(typo.status, 422, "unknown settings are refused");
    await typo.body?.cancel();
    const domain = await ctx.request(`/api/v1/tenants/${a.tenantId}`, {
      method: "PUT",
      token: a.token,
      json: { domain: "mine.example.com" },
    });
    assert.equal(domain.status, 403, "the domain is the platform admin's");
    await domain.body?.cancel();
    const admin = await addUser(ctx, a.token, "admin");
    const byAdmin = await ctx.request(`/api/v1/tenants/${a.tenantId}`, {
      method: "PUT",
      token: admin.token,
      json: { name: "Admin was here" },
    });
    assert.equal(byAdmin.status, 403, "name and settings are the owner's");
    await byAdmin.body?.cancel();
    const list = await ctx.request("/api/v1/tenants", { token: a.token });
    assert.equal(list.status, 403);
    await list.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("tenants: delete stops every credential now and purges the data after the grace period", async () => {
  const ctx = await createTestContext();
  try {
    const root = await loginToken(ctx, ROOT.email, ROOT.password);
    const a = await registerTenant(ctx);
    const key = await createApiKey(ctx, a.token);
    await addUser(ctx, a.token, "agent");

    const del = await ctx.request(`/api/v1/tenants/${a.tenantId}`, { method: "DELETE", token: root });
    assert.equal(del.status, 204);
    for (const token of [a.token, key]) {
      const res = await ctx.request("/api/v1/auth/me", { token });
      assert.equal(res.status, 401, "every credential of a deleted tenant is dead");
      await res.body?.cancel();
    }
    const users1 = await ctx.request("/api/v1/users", { token: key });
    assert.equal(users1.status, 401);
    await users1.body?.cancel();
    const seen = await body<Tenant>(await ctx.request(`/api/v1/tenants/${a.tenantId}`, { token: root }));
    assert.equal(seen.status, "deleted");
    assert.ok(seen.purge_after);

    const [job] = await ctx.services.database.db.select().from(jobs).where(eq(jobs.name, "tenant.purge"));
    assert.equal(job.dedupeId, `tenant.purge:${a.tenantId}`);
    // The first run is 7 days in (QStash's delay cap); it finds 23 days left and waits again.
    ctx.clock.advance(7 * 86_400_000 + 1000);
    await ctx.services.runner!.drain();
    assert.equal(
      (await ctx.services.database.db.select().from(tenants).where(eq(tenants.id, a.tenantId))).length,
      1,
    );
    ctx.clock.advance(23 * 86_400_000 + 1000);
    await ctx.services.runner!.drain();
    assert.equal(
      (await ctx.services.database.db.select().from(tenants).where(eq(tenants.id, a.tenantId))).length,
      0,
    );
    assert.equal(
      (await ctx.services.database.db.select().from(users).where(eq(users.tenantId, a.tenantId))).length,
      0,
    );
    assert.equal(
      (await ctx.services.database.db.select().from(apiKeys).where(eq(apiKeys.tenantId, a.tenantId))).length,
      0,
    );
  } finally {
    await ctx.close();
  }
});
