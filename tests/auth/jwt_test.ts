import { strict as assert } from "node:assert";
import { SignJWT } from "jose";
import { signAccessToken } from "../../src/auth/access-token.ts";
import { body, createTestContext, TEST_ENV } from "../support/harness.ts";
import { addUser, createApiKey, loginToken, registerTenant, ROOT } from "../support/identity.ts";

const secret = new TextEncoder().encode(TEST_ENV.JWT_SECRET);

function b64url(o: unknown): string {
  return btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

Deno.test("JWT edge cases", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const me = (token: string) => ctx.request("/api/v1/auth/me", { token });
    const expect401 = async (token: string, why: string) => {
      const res = await me(token);
      const p = await body(res);
      assert.equal(res.status, 401, `${why}: ${JSON.stringify(p)}`);
      assert.equal(p.code, "unauthorized");
    };
    // A valid session to bind forged tokens to, so only the property under test is wrong.
    const [, payload] = owner.token.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));

    await t.step("the real token works", async () => {
      assert.equal((await me(owner.token)).status, 200);
    });

    await t.step("expired", async () => {
      const { token } = await signAccessToken(TEST_ENV.JWT_SECRET!, {
        userId: owner.userId,
        tenantId: owner.tenantId,
        role: "owner",
        sessionId: claims.sid,
      }, new Date(Date.now() - 16 * 60_000));
      await expect401(token, "expired");
    });

    await t.step("not yet valid", async () => {
      const { token } = await signAccessToken(TEST_ENV.JWT_SECRET!, {
        userId: owner.userId,
        tenantId: owner.tenantId,
        role: "owner",
        sessionId: claims.sid,
      }, new Date(Date.now() + 10 * 60_000));
      await expect401(token, "nbf in the future");
    });

    await t.step("wrong signature", async () => {
      const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode("another-secret-another-secret-another-secret"));
      await expect401(forged, "signed with another key");
      const [h, p] = owner.token.split(".");
      await expect401(`${h}.${p}.${"A".repeat(43)}`, "signature replaced");
    });

    await t.step("alg none", async () => {
      await expect401(`${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`, "alg none");
    });

    await t.step("another algorithm with the same secret", async () => {
      const hs512 = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS512" }).sign(secret);
      await expect401(hs512, "HS512");
    });

    await t.step("wrong audience or issuer", async () => {
      const base = { tid: claims.tid, role: claims.role, sid: claims.sid };
      const mk = (iss: string, aud: string) =>
        new SignJWT(base).setProtectedHeader({ alg: "HS256" }).setSubject(claims.sub).setJti(
          crypto.randomUUID(),
        )
          .setIssuedAt().setExpirationTime("10m").setIssuer(iss).setAudience(aud).sign(secret);
      await expect401(await mk("pytake", "someone-else"), "audience");
      await expect401(await mk("evil", "pytake-api"), "issuer");
      assert.equal((await me(await mk("pytake", "pytake-api"))).status, 200, "the control token passes");
    });

    await t.step("a token of a deleted user", async () => {
      const agent = await addUser(ctx, owner.token, "agent");
      assert.equal((await me(agent.token)).status, 200);
      const del = await ctx.request(`/api/v1/users/${agent.userId}`, {
        method: "DELETE",
        token: owner.token,
      });
      assert.equal(del.status, 204);
      await expect401(agent.token, "deleted user");
    });

    await t.step("a token of a disabled user", async () => {
      const agent = await addUser(ctx, owner.token, "agent");
      const res = await ctx.request(`/api/v1/users/${agent.userId}`, {
        method: "PUT",
        token: owner.token,
        json: { status: "disabled" },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      await expect401(agent.token, "disabled user");
    });

    await t.step("tokens and API keys of a suspended tenant: 403 tenant_suspended", async () => {
      const key = await createApiKey(ctx, owner.token);
      const root = await loginToken(ctx, ROOT.email, ROOT.password);
      const s = await ctx.request(`/api/v1/tenants/${owner.tenantId}/suspend`, {
        method: "POST",
        token: root,
        json: { reason: "Pagamento pendente" },
      });
      assert.equal(s.status, 200);
      await s.body?.cancel();
      for (const token of [owner.token, key]) {
        const res = await ctx.request("/api/v1/users", { token });
        const p = await body(res);
        assert.equal(res.status, 403, JSON.stringify(p));
        assert.equal(p.code, "tenant_suspended");
      }
      const r = await ctx.request(`/api/v1/tenants/${owner.tenantId}/reactivate`, {
        method: "POST",
        token: root,
      });
      assert.equal(r.status, 200);
      await r.body?.cancel();
      assert.equal((await me(owner.token)).status, 200, "back after reactivation");
    });
  } finally {
    await ctx.close();
  }
});
