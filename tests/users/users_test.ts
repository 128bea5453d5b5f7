import { strict as assert } from "node:assert";
import { and, eq } from "drizzle-orm";
import { auditLog } from "../../db/schema/index.ts";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, lastMail, login, PASSWORD, registerTenant, uniqueEmail } from "../support/identity.ts";

type User = {
  id: string;
  email: string;
  role: string;
  status: string;
  permissions: string[];
  grants: string[];
};
type Problem = { code: string; detail: string; errors?: { path: string }[]; limit?: string; max?: number };

Deno.test("users: invite, accept, list, get, update, delete", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const email = uniqueEmail("Agent");

    await t.step("invite creates an invited user and mails a link", async () => {
      const res = await ctx.request("/api/v1/users", {
        method: "POST",
        token: owner.token,
        json: { email, name: "Ana Agente", role: "agent" },
      });
      const u = await body<User>(res);
      assert.equal(res.status, 201, JSON.stringify(u));
      assert.equal(u.status, "invited");
      assert.equal(u.email, email.toLowerCase());
      const { mail, token } = await lastMail(ctx, email.toLowerCase());
      assert.equal(mail.kind, "invitation");
      assert.match(mail.subject, /convidou você/);
      assert.equal((await login(ctx, email)).status, 401, "no password yet");
      const accept = await ctx.request("/api/v1/auth/reset-password", {
        method: "POST",
        json: { token, new_password: PASSWORD },
      });
      assert.equal(accept.status, 200);
      await accept.body?.cancel();
      const signed = await login(ctx, email);
      assert.equal(signed.status, 200);
      const me = (await body<{ user: User & { email_verified: boolean } }>(signed)).user;
      assert.equal(me.status, "active");
      assert.equal(me.email_verified, true, "accepting the invitation proves the address");
    });

    await t.step("the same email again: 409", async () => {
      const res = await ctx.request("/api/v1/users", {
        method: "POST",
        token: owner.token,
        json: { email: email.toUpperCase(), name: "Dup", role: "agent" },
      });
      assert.equal(res.status, 409);
      await res.body?.cancel();
    });

    await t.step("list with filters and pagination", async () => {
      await addUser(ctx, owner.token, "viewer");
      const all = await body<{ data: User[]; meta: { total: number } }>(
        await ctx.request("/api/v1/users?limit=2", { token: owner.token }),
      );
      assert.equal(all.meta.total, 3);
      assert.equal(all.data.length, 2);
      const agents = await body<{ data: User[] }>(
        await ctx.request("/api/v1/users?role=agent", { token: owner.token }),
      );
      assert.deepEqual(agents.data.map((u) => u.email), [email.toLowerCase()]);
      const found = await body<{ data: User[] }>(
        await ctx.request("/api/v1/users?q=ana", { token: owner.token }),
      );
      assert.equal(found.data.length, 1);
    });

    await t.step("the owner cannot be demoted while the only owner, nor delete themselves", async () => {
      const demote = await ctx.request(`/api/v1/users/${owner.userId}`, {
        method: "PUT",
        token: owner.token,
        json: { role: "admin" },
      });
      assert.equal(demote.status, 403, "own role");
      await demote.body?.cancel();
      const del = await ctx.request(`/api/v1/users/${owner.userId}`, {
        method: "DELETE",
        token: owner.token,
      });
      assert.equal(del.status, 403);
      await del.body?.cancel();
    });

    await t.step("the last owner cannot be deleted by another owner's absence", async () => {
      const second = await addUser(ctx, owner.token, "owner");
      const del = await ctx.request(`/api/v1/users/${owner.userId}`, {
        method: "DELETE",
        token: second.token,
      });
      assert.equal(del.status, 204, "two owners: one may go");
      const last = await ctx.request(`/api/v1/users/${second.userId}`, {
        method: "PUT",
        token: second.token,
        json: { name: "Still here" },
      });
      assert.equal(last.status, 200);
      await last.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("users: role rules and immediate effect", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const admin = await addUser(ctx, owner.token, "admin");
    const agent = await addUser(ctx, owner.token, "agent");

    const asAdmin = (path: string, init: Parameters<typeof ctx.request>[1]) =>
      ctx.request(path, { ...init, token: admin.token });
    const makeOwner = await asAdmin("/api/v1/users", {
      method: "POST",
      json: { email: uniqueEmail(), name: "X", role: "owner" },
    });
    assert.equal(makeOwner.status, 403, "an admin cannot create owners");
    await makeOwner.body?.cancel();
    const touchOwner = await asAdmin(`/api/v1/users/${owner.userId}`, {
      method: "PUT",
      json: { name: "Hacked" },
    });
    assert.equal(touchOwner.status, 403, "nor change them");
    await touchOwner.body?.cancel();
    const superAdmin = await ctx.request("/api/v1/users", {
      method: "POST",
      token: owner.token,
      json: { email: uniqueEmail(), name: "X", role: "super_admin" },
    });
    assert.equal(superAdmin.status, 403, "nobody creates platform admins from a tenant");
    await superAdmin.body?.cancel();

    assert.equal(
      (await ctx.request("/api/v1/users", { token: agent.token })).status,
      403,
      "agents cannot list users",
    );
    const promote = await asAdmin(`/api/v1/users/${agent.userId}`, {
      method: "PUT",
      json: { role: "supervisor" },
    });
    assert.equal((await body<User>(promote)).role, "supervisor");
    const now = await ctx.request("/api/v1/users", { token: agent.token });
    assert.equal(now.status, 200, "the new role applies to the token already held");
    await now.body?.cancel();

    const audits = await ctx.services.database.db.select().from(auditLog)
      .where(and(eq(auditLog.action, "user.role_change"), eq(auditLog.targetId, agent.userId)));
    assert.equal(audits.length, 1);
    assert.deepEqual((audits[0].metadata as { after: { role: string } }).after.role, "supervisor");
    assert.equal(audits[0].actorId, admin.userId);
  } finally {
    await ctx.close();
  }
});

Deno.test("users: permissions are granted only from what the caller holds", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const admin = await addUser(ctx, owner.token, "admin");
    const viewer = await addUser(ctx, owner.token, "viewer");
    const path = `/api/v1/users/${viewer.userId}/permissions`;

    const before = await body<{ role: string; grants: string[]; effective: string[] }>(
      await ctx.request(path, { token: admin.token }),
    );
    assert.equal(before.role, "viewer");
    assert.deepEqual(before.grants, []);
    assert.ok(!before.effective.includes("write:messages"));

    const put = await ctx.request(path, {
      method: "PUT",
      token: admin.token,
      json: { permissions: ["write:messages", "write:contacts"] },
    });
    const after = await body<{ grants: string[]; effective: string[] }>(put);
    assert.equal(put.status, 200);
    assert.deepEqual(after.grants, ["write:contacts", "write:messages"]);
    assert.ok(after.effective.includes("write:messages"));

    const escalate = await ctx.request(path, {
      method: "PUT",
      token: admin.token,
      json: { permissions: ["write:tenant"] },
    });
    const p = await body<Problem & { not_held: string[] }>(escalate);
    assert.equal(escalate.status, 403, "admins do not hold write:tenant");
    assert.deepEqual(p.not_held, ["write:tenant"]);

    const platform = await ctx.request(path, {
      method: "PUT",
      token: owner.token,
      json: { permissions: ["read:tenants"] },
    });
    assert.equal(platform.status, 403);
    await platform.body?.cancel();

    const unknown = await ctx.request(path, {
      method: "PUT",
      token: owner.token,
      json: { permissions: ["launch:rockets"] },
    });
    assert.equal(unknown.status, 422);
    await unknown.body?.cancel();

    const me = await body<{ permissions: string[] }>(
      await ctx.request("/api/v1/auth/me", { token: viewer.token }),
    );
    assert.ok(me.permissions.includes("write:contacts"), "the grant applies at once");
  } finally {
    await ctx.close();
  }
});

Deno.test("users: change own password ends the other sessions", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const other = await login(ctx, owner.email);
    const otherToken = (await body<{ token: string }>(other)).token;
    const path = `/api/v1/users/${owner.userId}/change-password`;

    const wrong = await ctx.request(path, {
      method: "POST",
      token: owner.token,
      json: { current_password: "Not-mine-1", new_password: "Nova-senha-9" },
    });
    assert.equal(wrong.status, 422);
    assert.equal((await body<Problem>(wrong)).errors![0].path, "body.current_password");

    const ok = await ctx.request(path, {
      method: "POST",
      token: owner.token,
      json: { current_password: PASSWORD, new_password: "Nova-senha-9" },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(
      (await ctx.request("/api/v1/auth/me", { token: owner.token })).status,
      200,
      "this session lives",
    );
    assert.equal(
      (await ctx.request("/api/v1/auth/me", { token: otherToken })).status,
      401,
      "the other ended",
    );
    assert.equal((await login(ctx, owner.email, "Nova-senha-9")).status, 200);

    const agent = await addUser(ctx, owner.token, "agent");
    const someoneElse = await ctx.request(`/api/v1/users/${agent.userId}/change-password`, {
      method: "POST",
      token: owner.token,
      json: { current_password: PASSWORD, new_password: "Nova-senha-9" },
    });
    assert.equal(someoneElse.status, 403);
    await someoneElse.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("users: the plan's user limit", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    // starter allows 10 users; the owner is the first.
    for (let i = 0; i < 9; i++) {
      const res = await ctx.request("/api/v1/users", {
        method: "POST",
        token: owner.token,
        json: { email: uniqueEmail(), name: `User ${i}`, role: "viewer" },
      });
      assert.equal(res.status, 201);
      await res.body?.cancel();
    }
    const over = await ctx.request("/api/v1/users", {
      method: "POST",
      token: owner.token,
      json: { email: uniqueEmail(), name: "One too many", role: "viewer" },
    });
    const p = await body<Problem>(over);
    assert.equal(over.status, 429, JSON.stringify(p));
    assert.equal(p.code, "quota_exceeded");
    assert.equal(p.limit, "users");
    assert.equal(p.max, 10);
    const creates = await ctx.services.database.db.select().from(auditLog)
      .where(and(eq(auditLog.action, "user.create"), eq(auditLog.tenantId, owner.tenantId)));
    assert.equal(creates.length, 9, "the refused create left no audit row");
  } finally {
    await ctx.close();
  }
});

Deno.test("users: activity lists what the user did", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await addUser(ctx, owner.token, "agent");
    const res = await ctx.request(`/api/v1/users/${owner.userId}/activity`, { token: owner.token });
    const b = await body<{ data: { action: string; request_id: string }[]; meta: { total: number } }>(res);
    assert.equal(res.status, 200);
    const actions = b.data.map((e) => e.action);
    assert.ok(actions.includes("user.create"));
    assert.ok(actions.includes("auth.register"));
    assert.ok(b.data.every((e) => e.request_id));
    const filtered = await body<{ data: { action: string }[] }>(
      await ctx.request(`/api/v1/users/${owner.userId}/activity?action=user.create`, { token: owner.token }),
    );
    assert.deepEqual(filtered.data.map((e) => e.action), ["user.create"]);
  } finally {
    await ctx.close();
  }
});

Deno.test("roles: every tenant role with its permissions and whether it can be given", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const admin = await addUser(ctx, owner.token, "admin");
    const roles = await body<{ data: { role: string; assignable: boolean; permissions: string[] }[] }>(
      await ctx.request("/api/v1/roles", { token: admin.token }),
    );
    assert.deepEqual(roles.data.map((r) => r.role), ["owner", "admin", "supervisor", "agent", "viewer"]);
    assert.deepEqual(roles.data.map((r) => r.assignable), [false, false, true, true, true]);
    assert.ok(roles.data.find((r) => r.role === "viewer")!.permissions.every((p) => p.startsWith("read:")));
  } finally {
    await ctx.close();
  }
});
