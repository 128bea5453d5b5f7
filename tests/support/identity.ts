import { desc, eq } from "drizzle-orm";
import { mailOutbox } from "../../db/schema/index.ts";
import { body, type TestContext } from "./harness.ts";

export const PASSWORD = "Senha-forte-1";

export interface Account {
  token: string;
  refresh: string;
  userId: string;
  tenantId: string;
  email: string;
}

let seq = 0;
export const uniqueEmail = (prefix = "user") => `${prefix}.${Date.now()}.${++seq}@example.com`;

/** Registers a new tenant and returns its owner, signed in. */
export async function registerTenant(ctx: TestContext, opts: { email?: string; tenantName?: string } = {}) {
  const email = opts.email ?? uniqueEmail("owner");
  const res = await ctx.request("/api/v1/auth/register", {
    method: "POST",
    json: { email, password: PASSWORD, name: "Dona Maria", tenant_name: opts.tenantName ?? "Fibra Rápida" },
    ip: `198.51.100.${(seq % 250) + 1}`,
  });
  const b = await body<
    { token: string; refresh_token: string; user: { id: string; tenant: { id: string } } }
  >(res);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(b)}`);
  return {
    token: b.token,
    refresh: b.refresh_token,
    userId: b.user.id,
    tenantId: b.user.tenant.id,
    email,
  } as Account;
}

export async function login(ctx: TestContext, email: string, password = PASSWORD, ip?: string) {
  return await ctx.request("/api/v1/auth/login", { method: "POST", json: { email, password }, ip });
}

export async function loginToken(ctx: TestContext, email: string, password = PASSWORD): Promise<string> {
  const res = await login(ctx, email, password);
  const b = await body<{ token: string }>(res);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(b)}`);
  return b.token;
}

/** The newest mail to an address, and the token its link carries. */
export async function lastMail(ctx: TestContext, to: string) {
  const [mail] = await ctx.services.database.db.select().from(mailOutbox)
    .where(eq(mailOutbox.toAddress, to)).orderBy(desc(mailOutbox.createdAt)).limit(1);
  const token = mail?.textBody.match(/[?&]token=([A-Za-z0-9_-]+)/)?.[1];
  return { mail, token };
}

export async function mailCount(ctx: TestContext, to: string): Promise<number> {
  return (await ctx.services.database.db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, to)))
    .length;
}

/** The platform super admin created from BOOTSTRAP_ADMIN_* in the test environment. */
export const ROOT = { email: "root@pytake.test", password: "Root-password-1" };

/** Invites a user with `role`, accepts the invitation and signs them in. */
export async function addUser(ctx: TestContext, ownerToken: string, role: string): Promise<Account> {
  const email = uniqueEmail(role);
  const res = await ctx.request("/api/v1/users", {
    method: "POST",
    token: ownerToken,
    json: { email, name: `Test ${role}`, role },
  });
  const user = await body<{ id: string; tenant: { id: string } }>(res);
  if (res.status !== 201) throw new Error(`invite failed: ${res.status} ${JSON.stringify(user)}`);
  const { token } = await lastMail(ctx, email);
  const accepted = await ctx.request("/api/v1/auth/reset-password", {
    method: "POST",
    json: { token, new_password: PASSWORD },
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${await accepted.text()}`);
  await accepted.body?.cancel();
  const signedIn = await body<{ token: string; refresh_token: string }>(await login(ctx, email));
  return {
    token: signedIn.token,
    refresh: signedIn.refresh_token,
    userId: user.id,
    tenantId: user.tenant.id,
    email,
  };
}

export async function createApiKey(ctx: TestContext, token: string, permissions?: string[]): Promise<string> {
  const res = await ctx.request("/api/v1/api-keys", {
    method: "POST",
    token,
    json: { name: "test key", ...(permissions ? { permissions } : {}) },
  });
  const b = await body<{ key: string }>(res);
  if (res.status !== 201) throw new Error(`api key failed: ${res.status} ${JSON.stringify(b)}`);
  return b.key;
}

/** Moves a tenant to `plan` as the platform admin (tests that make many requests need the room). */
export async function setPlan(ctx: TestContext, tenantId: string, plan: "growth" | "enterprise") {
  const root = await loginToken(ctx, ROOT.email, ROOT.password);
  const res = await ctx.request(`/api/v1/tenants/${tenantId}/upgrade`, {
    method: "POST",
    token: root,
    json: { plan },
  });
  if (res.status !== 200) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}
