import type { tenants, users } from "../../db/schema/index.ts";
import { effectivePermissions } from "../auth/principal-state.ts";
import { isPermission } from "../auth/permissions.ts";

type UserRow = typeof users.$inferSelect;
type TenantRow = typeof tenants.$inferSelect;

/** The API's view of a user: never the password hash, always the effective permissions. */
export function userView(u: UserRow, tenant?: Pick<TenantRow, "id" | "name" | "plan" | "status"> | null) {
  const grants = u.permissions.filter(isPermission);
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.status,
    email_verified: u.emailVerifiedAt !== null,
    permissions: [...effectivePermissions(u.role, grants)].sort(),
    grants: [...grants].sort(),
    tenant: tenant ? { id: tenant.id, name: tenant.name, plan: tenant.plan, status: tenant.status } : null,
    last_login_at: u.lastLoginAt?.toISOString() ?? null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}

export type UserView = ReturnType<typeof userView>;
