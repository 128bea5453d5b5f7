import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.ts";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, registerTenant } from "../support/identity.ts";

type Key = { id: string; key?: string; prefix: string; permissions: string[]; last_used_at: string | null };

Deno.test("API keys: shown once, stored hashed, scoped, revocable", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const res = await ctx.request("/api/v1/api-keys", {
      method: "POST",
      token: owner.token,
      json: { name: "ERP sync", permissions: ["read:users"] },
    });
    const created = await body<Key>(res);
    assert.equal(res.status, 201);
    assert.match(created.key!, /^pk_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.prefix, created.key!.slice(0, 10));
    const [row] = await ctx.services.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    assert.notEqual(row.keyHash, created.key);
    assert.ok(!JSON.stringify(row).includes(created.key!), "the key itself is not stored");

    const listed = await body<{ data: Key[] }>(await ctx.request("/api/v1/api-keys", { token: owner.token }));
    assert.equal(listed.data.length, 1);
    assert.equal(listed.data[0].key, undefined, "never shown again");

    const use = await ctx.request("/api/v1/users", { token: created.key });
    assert.equal(use.status, 200, "works as a bearer token");
    await use.body?.cancel();
    const outside = await ctx.request("/api/v1/api-keys", { token: created.key });
    assert.equal(outside.status, 403, "only what it carries");
    await outside.body?.cancel();
    await ctx.settle();
    const [used] = await ctx.services.database.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    assert.ok(used.lastUsedAt, "last_used_at recorded");

    const del = await ctx.request(`/api/v1/api-keys/${created.id}`, { method: "DELETE", token: owner.token });
    assert.equal(del.status, 204);
    const after = await ctx.request("/api/v1/users", { token: created.key });
    assert.equal(after.status, 401, "revoked at once");
    await after.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("API keys: never more than the creator holds, and die with the creator", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const admin = await addUser(ctx, owner.token, "admin");
    const tooMuch = await ctx.request("/api/v1/api-keys", {
      method: "POST",
      token: admin.token,
      json: { name: "x", permissions: ["write:tenant"] },
    });
    assert.equal(tooMuch.status, 403);
    await tooMuch.body?.cancel();
    const created = await body<Key>(
      await ctx.request("/api/v1/api-keys", {
        method: "POST",
        token: admin.token,
        json: { name: "default" },
      }),
    );
    assert.ok(created.permissions.includes("write:users"));
    assert.ok(!created.permissions.includes("write:tenant"), "by default, exactly the creator's permissions");

    const viaKey = await ctx.request("/api/v1/auth/me", { token: created.key });
    assert.equal(viaKey.status, 403, "routes about one's own account need a user");
    await viaKey.body?.cancel();

    const expired = await ctx.request("/api/v1/api-keys", {
      method: "POST",
      token: admin.token,
      json: { name: "old", expires_at: "2020-01-01T00:00:00Z" },
    });
    assert.equal(expired.status, 422);
    await expired.body?.cancel();

    const del = await ctx.request(`/api/v1/users/${admin.userId}`, { method: "DELETE", token: owner.token });
    assert.equal(del.status, 204);
    const dead = await ctx.request("/api/v1/users", { token: created.key });
    assert.equal(dead.status, 401, "the creator is gone, so is the key");
    await dead.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("API keys: an expiring key stops at its expiry", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const created = await body<Key>(
      await ctx.request("/api/v1/api-keys", {
        method: "POST",
        token: owner.token,
        json: { name: "temp", expires_at: soon },
      }),
    );
    assert.equal((await ctx.request("/api/v1/users", { token: created.key })).status, 200);
    ctx.clock.advance(3601_000);
    assert.equal((await ctx.request("/api/v1/users", { token: created.key })).status, 401);
  } finally {
    await ctx.close();
  }
});
