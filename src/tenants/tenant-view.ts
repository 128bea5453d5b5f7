import type { tenants } from "../../db/schema/index.ts";
import { limitsOf } from "./plans.ts";

type Row = typeof tenants.$inferSelect;

export function tenantView(t: Row, usage?: { users: number }) {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    domain: t.domain,
    plan: t.plan,
    limits: limitsOf(t.plan),
    status: t.status,
    suspended_reason: t.suspendedReason,
    suspended_at: t.suspendedAt?.toISOString() ?? null,
    deleted_at: t.deletedAt?.toISOString() ?? null,
    purge_after: t.purgeAfter?.toISOString() ?? null,
    settings: t.settings,
    ...(usage ? { usage } : {}),
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export type TenantView = ReturnType<typeof tenantView>;
