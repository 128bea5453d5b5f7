import { and, asc, eq, sql } from "drizzle-orm";
import {
  erpSandboxContracts,
  erpSandboxCustomers,
  erpSandboxInvoices,
  erpSandboxTickets,
} from "../../db/schema/index.ts";
import { body, type TestContext } from "./harness.ts";

/** Helpers for ERP tests: connecting, and finding the sandbox ISP's people by their story. */

export async function connectErp(
  ctx: TestContext,
  token: string,
  type: string,
  input: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { webhook_secret?: string; id: string }> {
  const res = await ctx.request(`/api/v1/erp/connect/${type}`, { method: "POST", token, json: input });
  const b = await body<Record<string, unknown> & { webhook_secret?: string; id: string }>(res);
  if (res.status !== 201) throw new Error(`connect ${type} failed: ${res.status} ${JSON.stringify(b)}`);
  return b;
}

export const connectSandbox = (ctx: TestContext, token: string) => connectErp(ctx, token, "sandbox");

export type SandboxCustomer = typeof erpSandboxCustomers.$inferSelect;

/**
 * The tenant's sandbox customers, in id order: index `i` follows the stories of
 * src/erp/sandbox/dataset.ts (i % 10 === 3 blocked, i % 10 === 7 offline, …).
 */
export async function sandboxCustomers(ctx: TestContext, tenantId: string): Promise<SandboxCustomer[]> {
  return await ctx.services.database.db.select().from(erpSandboxCustomers)
    .where(eq(erpSandboxCustomers.tenantId, tenantId)).orderBy(asc(erpSandboxCustomers.id));
}

export async function sandboxInvoices(ctx: TestContext, tenantId: string, customerId: string) {
  return await ctx.services.database.db.select().from(erpSandboxInvoices)
    .where(and(eq(erpSandboxInvoices.tenantId, tenantId), eq(erpSandboxInvoices.customerId, customerId)))
    .orderBy(asc(erpSandboxInvoices.dueDate));
}

export async function sandboxContracts(ctx: TestContext, tenantId: string, customerId: string) {
  return await ctx.services.database.db.select().from(erpSandboxContracts)
    .where(and(eq(erpSandboxContracts.tenantId, tenantId), eq(erpSandboxContracts.customerId, customerId)))
    .orderBy(asc(erpSandboxContracts.id));
}

export async function sandboxTicketIds(ctx: TestContext, tenantId: string): Promise<string[]> {
  const rows = await ctx.services.database.db.select({ id: erpSandboxTickets.id }).from(erpSandboxTickets)
    .where(eq(erpSandboxTickets.tenantId, tenantId)).orderBy(asc(erpSandboxTickets.id)).limit(3);
  return rows.map((r) => r.id);
}

export async function sandboxOpenInvoiceIds(ctx: TestContext, tenantId: string): Promise<string[]> {
  const rows = await ctx.services.database.db.select({ id: erpSandboxInvoices.id }).from(erpSandboxInvoices)
    .where(and(eq(erpSandboxInvoices.tenantId, tenantId), eq(erpSandboxInvoices.status, "open")))
    .orderBy(asc(erpSandboxInvoices.id)).limit(3);
  return rows.map((r) => r.id);
}

/** Rows of the call log of a tenant's ERP, oldest first (after the background writes settle). */
export async function callLog(ctx: TestContext, tenantId: string, type: string) {
  await ctx.settle();
  return await ctx.services.database.rows<{
    operation: string;
    method: string;
    endpoint: string;
    outcome: string;
    http_status: number | null;
    attempt: number;
    error: string | null;
    cache_miss: boolean;
  }>(
    sql`select * from erp_call_logs where tenant_id = ${tenantId} and erp_type = ${type} order by created_at, id`,
  );
}
