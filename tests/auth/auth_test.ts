import { strict as assert } from "node:assert";
import { and, eq } from "drizzle-orm";
import { auditLog, tenants } from "../../db/schema/index.ts";
import { body, createTestContext } from "../support/harness.ts";
import {
  lastMail,
  login,
  loginToken,
  mailCount,
  PASSWORD,
  registerTenant,
  uniqueEmail,
} from "../support/identity.ts";

type Problem = { code: string; detail: string; errors?: { path: string }[] };

Deno.test("auth: register, login, me", async (t) => {
  const ctx = await createTestContext();
  try {
    const email = uniqueEmail("Owner");
    const owner = await registerTenant(ctx, { email, tenantName: "Provedor São João" });

    await t.step("register creates the tenant on starter with Brazilian defaults and its owner", async () => {
      const [tenant] = await ctx.services.database.db.select().from(tenants).where(
        eq(tenants.id, owner.tenantId),
      );
      assert.equal(tenant.name, "Provedor São João");
      assert.equal(tenant.plan, "starter");
      assert.match(tenant.slug, /^provedor-sao-joao-[a-z0-9]{4}$/);
      assert.deepEqual(tenant.settings, {
        timezone: "America/Sao_Paulo",
        language: "pt-BR",
        currency: "BRL",
      });
      const me = await body(await ctx.request("/api/v1/auth/me", { token: owner.token }));
      assert.equal(me.email, email.toLowerCase(), "emails are kept lower-cased");
      assert.equal(me.role, "owner");
      assert.equal(me.email_verified, false);
      assert.ok((me.permissions as string[]).includes("write:users"));
      assert.ok(!(me.permissions as string[]).includes("read:tenants"), "no platform permissions");
      assert.equal("password_hash" in me || "passwordHash" in me, false);
    });

    await t.step("a verification mail is in the outbox", async () => {
      const { mail, token } = await lastMail(ctx, email.toLowerCase());
      assert.equal(mail.kind, "verify_email");
      assert.equal(mail.tenantId, owner.tenantId);
      assert.match(mail.subject, /e-mail/);
      assert.ok(token);
    });

    await t.step("the same email again, in other case: 409", async () => {
      const res = await ctx.request("/api/v1/auth/register", {
        method: "POST",
        json: { email: email.toUpperCase(), password: PASSWORD, name: "X", tenant_name: "Other" },
      });
      assert.equal(res.status, 409);
      assert.equal((await body<Problem>(res)).code, "conflict");
    });

    await t.step("weak passwords are refused with the reason", async () => {
      const other = uniqueEmail();
      for (const password of ["Ab1", "abcdefghij", "12345678901", other]) {
        const res = await ctx.request("/api/v1/auth/register", {
          method: "POST",
          json: { email: other, password, name: "X", tenant_name: "Other" },
        });
        const p = await body<Problem>(res);
        assert.equal(res.status, 422, `${password}: ${JSON.stringify(p)}`);
        assert.equal(p.errors![0].path, "body.password");
      }
    });

    await t.step("login answers tokens and the user; audit has the login", async () => {
      const res = await login(ctx, email.toUpperCase());
      const b = await body<
        { token: string; refresh_token: string; expires_in: number; user: { id: string } }
      >(res);
      assert.equal(res.status, 200);
      assert.equal(b.expires_in, 900);
      assert.match(b.refresh_token, /^rt_/);
      assert.equal(b.user.id, owner.userId);
      await ctx.settle(); // the sign-in is recorded after the answer
      const logins = await ctx.services.database.db.select().from(auditLog)
        .where(and(eq(auditLog.action, "auth.login"), eq(auditLog.actorId, owner.userId)));
      assert.equal(logins.length, 1);
      assert.equal(logins[0].ip, "203.0.113.10");
      assert.ok(logins[0].requestId);
    });

    await t.step("a wrong password and an unknown email get the same answer", async () => {
      const wrong = await body<Problem>(await login(ctx, email, "Wrong-pass-1"));
      const unknown = await body<Problem>(await login(ctx, uniqueEmail("nobody"), "Wrong-pass-1"));
      assert.deepEqual([wrong.code, wrong.detail], [unknown.code, unknown.detail]);
      assert.equal(wrong.code, "unauthorized");
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: five failures lock the email for 15 minutes, known or not", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    for (let i = 0; i < 4; i++) assert.equal((await login(ctx, owner.email, "Wrong-pass-1")).status, 401);
    assert.equal((await login(ctx, owner.email, "Wrong-pass-1")).status, 401);
    const locked = await login(ctx, owner.email);
    assert.equal(locked.status, 423, "even the right password is refused while locked");
    assert.equal((await body<Problem>(locked)).code, "account_locked");
    const lockouts = await ctx.services.database.db.select().from(auditLog)
      .where(and(eq(auditLog.action, "auth.lockout"), eq(auditLog.targetId, owner.userId)));
    assert.equal(lockouts.length, 1);

    const ghost = uniqueEmail("ghost");
    for (let i = 0; i < 5; i++) await (await login(ctx, ghost, "Wrong-pass-1")).body?.cancel();
    assert.equal((await login(ctx, ghost, "Wrong-pass-1")).status, 423, "unknown emails lock the same way");

    ctx.clock.advance(15 * 60_000 + 1000);
    assert.equal((await login(ctx, owner.email)).status, 200, "unlocked after 15 minutes");
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: refresh rotates; a reused refresh token revokes the family", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const first = await ctx.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: owner.refresh },
    });
    const pair = await body<{ token: string; refresh_token: string }>(first);
    assert.equal(first.status, 200);
    assert.notEqual(pair.refresh_token, owner.refresh);
    assert.equal((await ctx.request("/api/v1/auth/me", { token: pair.token })).status, 200);

    const replay = await ctx.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: owner.refresh },
    });
    assert.equal(replay.status, 401);
    assert.match((await body<Problem>(replay)).detail, /already used/);

    const next = await ctx.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: pair.refresh_token },
    });
    assert.equal(next.status, 401, "the newer token of the family died with it");
    await next.body?.cancel();
    assert.equal(
      (await ctx.request("/api/v1/auth/me", { token: pair.token })).status,
      401,
      "and its access token",
    );
    const garbage = await ctx.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: "nope" },
    });
    assert.equal(garbage.status, 401);
    await garbage.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: logout ends the session and denies the access token", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const other = await loginToken(ctx, owner.email);
    const out = await ctx.request("/api/v1/auth/logout", { method: "POST", token: owner.token });
    assert.equal(out.status, 204);
    assert.equal((await ctx.request("/api/v1/auth/me", { token: owner.token })).status, 401);
    const r = await ctx.request("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: owner.refresh },
    });
    assert.equal(r.status, 401);
    await r.body?.cancel();
    assert.equal(
      (await ctx.request("/api/v1/auth/me", { token: other })).status,
      200,
      "other sessions live on",
    );
    assert.equal((await ctx.request("/api/v1/auth/logout", { method: "POST" })).status, 401);
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: forgot and reset password", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const before = await mailCount(ctx, owner.email);

    await t.step("always 202; a mail only for an existing account", async () => {
      const unknown = await ctx.request("/api/v1/auth/forgot-password", {
        method: "POST",
        json: { email: uniqueEmail("nobody") },
      });
      assert.equal(unknown.status, 202);
      const known = await ctx.request("/api/v1/auth/forgot-password", {
        method: "POST",
        json: { email: owner.email },
      });
      assert.equal(known.status, 202);
      assert.deepEqual(await body(unknown), await body(known), "the same answer either way");
      assert.equal(await mailCount(ctx, owner.email), before + 1);
    });

    const { mail, token } = await lastMail(ctx, owner.email);
    assert.equal(mail.kind, "reset_password");

    await t.step("a weak new password is refused without spending the token", async () => {
      const res = await ctx.request("/api/v1/auth/reset-password", {
        method: "POST",
        json: { token, new_password: "aaaaaaaaaa" },
      });
      assert.equal(res.status, 422);
      await res.body?.cancel();
    });

    await t.step("reset sets the password and ends every session", async () => {
      const res = await ctx.request("/api/v1/auth/reset-password", {
        method: "POST",
        json: { token, new_password: "Nova-senha-2" },
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
      assert.equal((await ctx.request("/api/v1/auth/me", { token: owner.token })).status, 401);
      const r = await ctx.request("/api/v1/auth/refresh", {
        method: "POST",
        json: { refresh_token: owner.refresh },
      });
      assert.equal(r.status, 401);
      await r.body?.cancel();
      assert.equal((await login(ctx, owner.email)).status, 401, "the old password is gone");
      assert.equal((await login(ctx, owner.email, "Nova-senha-2")).status, 200);
    });

    await t.step("the token works once", async () => {
      const res = await ctx.request("/api/v1/auth/reset-password", {
        method: "POST",
        json: { token, new_password: "Outra-senha-3" },
      });
      assert.equal(res.status, 400);
      await res.body?.cancel();
    });

    await t.step("a reset token expires after an hour", async () => {
      ctx.clock.advance(61_000); // past the one-mail-a-minute throttle
      await (await ctx.request("/api/v1/auth/forgot-password", {
        method: "POST",
        json: { email: owner.email },
      }))
        .body?.cancel();
      const { token: late } = await lastMail(ctx, owner.email);
      assert.notEqual(late, token);
      ctx.clock.advance(3601_000);
      const res = await ctx.request("/api/v1/auth/reset-password", {
        method: "POST",
        json: { token: late, new_password: "Outra-senha-3" },
      });
      assert.equal(res.status, 400);
      await res.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: verify email with the mailed token, once", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const { token } = await lastMail(ctx, owner.email);
    const res = await ctx.request("/api/v1/auth/verify-email", { method: "POST", json: { token } });
    assert.equal(res.status, 200);
    assert.deepEqual(await body(res), { email_verified: true, email: owner.email });
    const me = await body(await ctx.request("/api/v1/auth/me", { token: owner.token }));
    assert.equal(me.email_verified, true);
    const again = await ctx.request("/api/v1/auth/verify-email", { method: "POST", json: { token } });
    assert.equal(again.status, 400);
    await again.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("auth: routes are rate limited per client address", async () => {
  const ctx = await createTestContext({ env: { AUTH_RATE_LIMIT_PER_MINUTE: "3" } });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await login(ctx, "a@b.co", "Wrong-pass-1", "192.0.2.7");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("ratelimit-limit"), "3");
      assert.equal(res.headers.get("ratelimit-remaining"), String(2 - i));
      await res.body?.cancel();
    }
    const limited = await login(ctx, "a@b.co", "Wrong-pass-1", "192.0.2.7");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal((await body<Problem>(limited)).code, "rate_limited");
    const elsewhere = await login(ctx, "a@b.co", "Wrong-pass-1", "192.0.2.8");
    assert.equal(elsewhere.status, 401, "another address has its own budget");
    await elsewhere.body?.cancel();
  } finally {
    await ctx.close();
  }
});
