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
