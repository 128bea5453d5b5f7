import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { rolePermissions } from "../../src/auth/permissions.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { addUser, createApiKey, registerTenant, setPlan } from "../support/identity.ts";
import { fillPath, type OpenApiDoc, operations, sampleBody } from "../support/openapi-sample.ts";
import { importContacts } from "../support/contacts.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";
import { connectSandbox, sandboxCustomers, sandboxOpenInvoiceIds, sandboxTicketIds } from "../support/erp.ts";

/**
 * The security sweep, driven by the OpenAPI document: every protected route, present and future,
 * is called without credentials (401), with credentials lacking its permission (403) and, when
 * it takes an `{id}`, with another tenant's id (404, and that tenant's data unchanged).
 */

const ROLES_LOW_TO_HIGH = ["viewer", "agent", "supervisor", "admin", "owner"] as const;

/**
 * Resources of a tenant that a list route cannot reveal to the caller: the tenant itself, and
 * the ids of its ERP (customers, invoices, tickets live in the ERP, listed only per customer).
 */
function knownIds(tenantB: { tenantId: string }, erp: Record<string, string[]>): Record<string, string[]> {
  return { "/api/v1/tenants": [tenantB.tenantId], ...erp };
}

/** A digest of every row the tenant owns: equal before and after means nothing changed. */
async function tenantDigest(ctx: TestContext, tenantId: string): Promise<string> {
  const tables = await ctx.services.database.rows<{ table_name: string }>(sql`
    select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'tenant_id' order by table_name`);
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await ctx.services.database.rows<{ h: string | null }>(sql`
      select md5(string_agg(t::text, '|' order by t::text)) as h from ${sql.identifier(table_name)} t
      where t.tenant_id = ${tenantId}`);
    parts.push(`${table_name}:${row.h ?? "-"}`);
  }
  const [tenant] = await ctx.services.database.rows<{ h: string }>(
    sql`select md5(t::text) as h from tenants t where t.id = ${tenantId}`,
  );
  return [...parts, `tenant:${tenant?.h}`].join(" ");
}

Deno.test("security sweep over every documented route", async (t) => {
  const ctx = await createTestContext();
  try {
    const a = await registerTenant(ctx, { tenantName: "Tenant A" });
    const b = await registerTenant(ctx, { tenantName: "Tenant B" });
    await setPlan(ctx, a.tenantId, "enterprise");
    await setPlan(ctx, b.tenantId, "enterprise");
    const roleTokens: Record<string, string> = { owner: a.token };
    for (const role of ["viewer", "agent", "supervisor", "admin"]) {
      roleTokens[role] = (await addUser(ctx, a.token, role)).token;
    }
    const noPermissionKey = await createApiKey(ctx, a.token, []);
    // Tenant B holds at least one of each resource, so each `{id}` route has a foreign id to try.
    await addUser(ctx, b.token, "agent");
    await createApiKey(ctx, b.token);
    const bNumber = await addSandboxNumber(ctx, b.token);
    await customerWrites(ctx, b.token, bNumber.id, customerPhone());
    await importContacts(ctx, b.token, "phone,name\n+5511977776666,Importada B\n12,Linha ruim\n");
    const hook = await ctx.request("/api/v1/webhooks", {
      method: "POST",
      token: b.token,
      json: { url: "https://erp.example.com/b", events: ["contact.updated"] },
    });
    assert.equal(hook.status, 201);
    await hook.body?.cancel();
    const widget = await ctx.request("/api/v1/dashboard/widgets", {
      method: "POST",
      token: b.token,
      json: { type: "counter", metric: "messages.inbound", position: { x: 0, y: 0, w: 3, h: 1 } },
    });
    assert.equal(widget.status, 201);
    await widget.body?.cancel();
    const prompt = await ctx.request("/api/v1/ai/prompts", {
      method: "POST",
      token: b.token,
      json: { name: "Prompt B", purpose: "suggest", intent: "segunda_via", content: "Olá {{contact.name}}!" },
    });
    assert.equal(prompt.status, 201);
    await prompt.body?.cancel();

    // Both tenants run the sandbox ERP, so A's calls reach an ERP that does not know B's ids.
    await connectSandbox(ctx, a.token);
    await connectSandbox(ctx, b.token);
    const bCustomers = await sandboxCustomers(ctx, b.tenantId);
    const bSync = await ctx.request("/api/v1/erp/sandbox/sync", {
      method: "POST",
      token: b.token,
      json: { documents: [bCustomers[0].document] },
    });
    assert.equal(bSync.status, 202);
    await bSync.body?.cancel();
    await ctx.services.runner!.drain();
    const erpIds = {
      "/api/v1/erp/{erp_type}/customers": [bCustomers[3].id],
      "/api/v1/erp/{erp_type}/invoices": await sandboxOpenInvoiceIds(ctx, b.tenantId),
      "/api/v1/erp/{erp_type}/tickets": await sandboxTicketIds(ctx, b.tenantId),
    };

    const doc = await body<OpenApiDoc>(await ctx.request("/openapi.json"));
    const protectedOps = operations(doc).filter(({ op }) =>
      op["x-pytake-access"]?.permission || op["x-pytake-access"]?.user
    );
    assert.ok(protectedOps.length >= 20, `expected the protected routes, found ${protectedOps.length}`);

    const call = (method: string, path: string, token: string | undefined, reqBody?: string) =>
      ctx.request(path, {
        method: method.toUpperCase(),
        headers: { ...(reqBody !== undefined ? { "content-type": "application/json" } : {}) },
        body: reqBody,
        token,
      });

    await t.step("no credentials or bad credentials: 401", async () => {
      for (const { method, path, op } of protectedOps) {
        for (const token of [undefined, "not-a-jwt", "pk_not-a-real-key-0000000000000000000000"]) {
          const res = await call(method, fillPath(doc, path, op), token, sampleBody(doc, op));
          const p = await body(res);
          assert.equal(
            res.status,
            401,
            `${method.toUpperCase()} ${path} with ${token ?? "no token"}: ${JSON.stringify(p)}`,
          );
          assert.equal(p.code, "unauthorized");
        }
      }
    });

    await t.step("a credential without the route's permission: 403", async () => {
      for (const { method, path, op } of protectedOps) {
        const res = await call(method, fillPath(doc, path, op), noPermissionKey, sampleBody(doc, op));
        const p = await body(res);
        assert.equal(
          res.status,
          403,
          `${method.toUpperCase()} ${path} with a key holding nothing: ${JSON.stringify(p)}`,
        );
        const permission = op["x-pytake-access"]?.permission;
        if (!permission) continue;
        const lacking = ROLES_LOW_TO_HIGH.find((r) =>
          !(rolePermissions[r] as readonly string[]).includes(permission)
        );
        if (!lacking) continue;
        const byRole = await call(method, fillPath(doc, path, op), roleTokens[lacking], sampleBody(doc, op));
        const pr = await body(byRole);
        assert.equal(
          byRole.status,
          403,
          `${method.toUpperCase()} ${path} as ${lacking}: ${JSON.stringify(pr)}`,
        );
        assert.equal(pr.code, "forbidden");
      }
    });

    await t.step("another tenant's id: 404, and nothing of that tenant changes", async () => {
      const idOps = protectedOps.filter(({ path, op }) => {
        const permission = op["x-pytake-access"]?.permission;
        return path.includes("{id}") &&
          (!permission || (rolePermissions.owner as readonly string[]).includes(permission));
      });
      assert.ok(idOps.length > 0);
      for (const { method, path, op } of idOps) {
        const collection = path.slice(0, path.indexOf("/{id}"));
        let foreign = knownIds(b, erpIds)[collection];
        if (!foreign) {
          const list = await body<{ data?: { id: string }[] }>(
            await ctx.request(fillPath(doc, collection, op), { token: b.token }),
          );
          foreign = (list.data ?? []).map((r) => r.id);
        }
        assert.ok(foreign.length > 0, `seed tenant B with a resource of ${collection} for ${path}`);
        for (const id of foreign) {
          const before = await tenantDigest(ctx, b.tenantId);
          const res = await call(method, fillPath(doc, path, op, { id }), a.token, sampleBody(doc, op));
          const p = await body(res);
          assert.equal(
            res.status,
            404,
            `${method.toUpperCase()} ${path} with tenant B's ${id}: ${JSON.stringify(p)}`,
          );
          assert.equal(p.code, "not_found");
          assert.equal(
            await tenantDigest(ctx, b.tenantId),
            before,
            `${method.toUpperCase()} ${path} changed tenant B`,
          );
        }
      }
    });
  } finally {
    await ctx.close();
  }
});
