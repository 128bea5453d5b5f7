import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import {
  aiPrompts,
  aiSettings,
  aiUsage,
  apiKeys,
  auditLog,
  erpCallLogs,
  erpConnections,
  erpSandboxContracts,
  erpSandboxCustomers,
  erpSandboxInvoices,
  erpSandboxTickets,
  erpSyncs,
  erpUnlocks,
  erpWebhookEvents,
  mailOutbox,
  tenants,
  users,
} from "../../db/schema/index.ts";
import type { Services } from "../services.ts";
import { MAX_JOB_DELAY_SECONDS } from "./manage-tenants.ts";

/**
 * Erases a deleted tenant's data once its grace period is over, in one atomic batch: children
 * first, the tenant row last. Audit entries stay (they record what happened) but lose the
 * personal data they carried. Each area that stores tenant data adds its tables here.
 */
export function registerTenantPurge(s: Services): void {
  s.jobRegistry.register("tenant.purge", z.object({ tenant_id: z.uuid() }), async ({ tenant_id }, ctx) => {
    const [tenant] = await s.database.db.select().from(tenants).where(eq(tenants.id, tenant_id));
    if (!tenant || tenant.status !== "deleted" || !tenant.purgeAfter) return;
    const now = s.clock.now();
    const remaining = Math.ceil((tenant.purgeAfter.getTime() - now.getTime()) / 1000);
    if (remaining > 0) {
      await s.jobs.enqueue("tenant.purge", { tenant_id }, {
        delaySeconds: Math.min(remaining, MAX_JOB_DELAY_SECONDS),
        dedupeId: `tenant.purge:${tenant_id}:${now.getTime()}`,
      });
      return;
    }
    await s.database.atomic((db) =>
      [
        db.delete(apiKeys).where(eq(apiKeys.tenantId, tenant_id)),
        db.delete(aiPrompts).where(eq(aiPrompts.tenantId, tenant_id)),
        db.delete(aiSettings).where(eq(aiSettings.tenantId, tenant_id)),
        db.delete(aiUsage).where(eq(aiUsage.tenantId, tenant_id)),
        ...[erpCallLogs, erpUnlocks, erpWebhookEvents, erpSyncs, erpConnections].map((t) =>
          db.delete(t).where(eq(t.tenantId, tenant_id))
        ),
        ...[erpSandboxCustomers, erpSandboxContracts, erpSandboxInvoices, erpSandboxTickets].map((t) =>
          db.delete(t).where(eq(t.tenantId, tenant_id))
        ),
        db.delete(mailOutbox).where(eq(mailOutbox.tenantId, tenant_id)),
        db.delete(users).where(eq(users.tenantId, tenant_id)),
        db.update(auditLog).set({ ip: null, userAgent: null, metadata: sql`null` }).where(
          eq(auditLog.tenantId, tenant_id),
        ),
        db.delete(tenants).where(eq(tenants.id, tenant_id)),
      ] as const
    );
    ctx.log.info("tenant purged", { tenant_id });
  });
}
