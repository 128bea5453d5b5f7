import { eq } from "drizzle-orm";
import { tenants, type TenantStatus, users } from "../../db/schema/index.ts";
import type { KV } from "../platform/kv/kv.ts";
import type { Database } from "../platform/db/database.ts";
import type { PlanCode } from "../tenants/plans.ts";
import { isPermission, type Permission, type Role, rolePermissions } from "./permissions.ts";

/**
 * What authentication needs to know about a user and a tenant on every request, cached in KV for
 * a minute and dropped the moment it changes (`forgetUser`, `forgetTenant`), so a deleted user,
 * a changed role or a suspended tenant takes effect on the very next request.
 */
export interface UserState {
  tenantId: string | null;
  role: Role;
  grants: Permission[];
  status: "active" | "invited" | "disabled";
  deleted: boolean;
  sessionsRevokedAt: number | null;
}

export interface TenantState {
  status: TenantStatus;
  plan: PlanCode;
}

const TTL_SECONDS = 60;
export const userStateKey = (id: string) => `auth:ustate:${id}`;
export const tenantStateKey = (id: string) => `auth:tstate:${id}`;
const MISSING = "missing";

export function parseCached<T>(raw: string | null): T | null | undefined {
  if (raw === null) return undefined;
  return raw === MISSING ? null : JSON.parse(raw) as T;
}

export async function loadUserState(db: Database, kv: KV, userId: string): Promise<UserState | null> {
  const [row] = await db.db.select({
    tenantId: users.tenantId,
    role: users.role,
    grants: users.permissions,
    status: users.status,
    deletedAt: users.deletedAt,
    sessionsRevokedAt: users.sessionsRevokedAt,
  }).from(users).where(eq(users.id, userId));
  const state: UserState | null = row
    ? {
      tenantId: row.tenantId,
      role: row.role,
      grants: row.grants.filter(isPermission),
      status: row.status,
      deleted: row.deletedAt !== null,
      sessionsRevokedAt: row.sessionsRevokedAt?.getTime() ?? null,
    }
    : null;
  await kv.set(userStateKey(userId), state ? JSON.stringify(state) : MISSING, { ttlSeconds: TTL_SECONDS });
  return state;
}

export async function loadTenantState(db: Database, kv: KV, tenantId: string): Promise<TenantState | null> {
  const [row] = await db.db.select({ status: tenants.status, plan: tenants.plan }).from(tenants)
    .where(eq(tenants.id, tenantId));
  const state = row ? { status: row.status, plan: row.plan } : null;
  await kv.set(tenantStateKey(tenantId), state ? JSON.stringify(state) : MISSING, {
    ttlSeconds: TTL_SECONDS,
  });
  return state;
}

export async function forgetUser(kv: KV, userId: string): Promise<void> {
  await kv.del(userStateKey(userId));
}

export async function forgetTenant(kv: KV, tenantId: string): Promise<void> {
  await kv.del(tenantStateKey(tenantId));
}

/**
 * Role permissions plus grants; tenant users never hold platform permissions, whatever was
 * granted. Memoised: every authenticated request asks, with a handful of distinct answers.
 */
const effectiveCache = new Map<string, ReadonlySet<Permission>>();
export function effectivePermissions(role: Role, grants: readonly Permission[]): ReadonlySet<Permission> {
  const key = grants.length === 0 ? role : `${role}|${[...grants].sort().join(",")}`;
  let set = effectiveCache.get(key);
  if (!set) {
    const s = new Set<Permission>([...rolePermissions[role], ...grants]);
    if (role !== "super_admin") {
      for (const p of ["read:tenants", "write:tenants", "read:observability"] as const) s.delete(p);
    }
    if (effectiveCache.size > 10_000) effectiveCache.clear();
    effectiveCache.set(key, set = s);
  }
  return set;
}

export const apiKeyStateKey = (keyHash: string) => `auth:akstate:${keyHash}`;

export async function forgetApiKey(kv: KV, keyHash: string): Promise<void> {
  await kv.del(apiKeyStateKey(keyHash));
}
