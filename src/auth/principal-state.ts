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
  /** Time zone, language and thresholds: what reports need on every call (`TenantSettings`). */
  settings: Record<string, unknown>;
}

const TTL_SECONDS = 60;
export const userStateKey = (id: string) => `auth:ustate:${id}`;
// v2: the state gained the tenant's settings.
export const tenantStateKey = (id: string) => `auth:tstate2:${id}`;
const MISSING = "missing";
/**
 * Written over a cached state when its row changes. A request that read the row just before the
 * change and caches it just after must not bring the old state back, so loaders cache only where
 * nothing is (`onlyIfAbsent`); for the few seconds this marker lives, the state is read from the
 * database on every request, then cached again.
 */
const STALE = "stale";
export const STALE_SECONDS = 10;

/** A cached state: the value, `null` for a row known not to exist, `undefined` to read it again. */
export function parseCached<T>(raw: string | null): T | null | undefined {
  if (raw === null || raw === STALE) return undefined;
  return raw === MISSING ? null : JSON.parse(raw) as T;
}

/** Caches a state just read, unless it changed meanwhile (see `STALE`). */
export async function cacheState(kv: KV, key: string, state: unknown): Promise<void> {
  await kv.set(key, state ? JSON.stringify(state) : MISSING, { ttlSeconds: TTL_SECONDS, onlyIfAbsent: true });
}

/** The columns of `users` a `UserState` is made of, for statements that join them in. */
export const userStateColumns = {
  tenantId: users.tenantId,
  role: users.role,
  grants: users.permissions,
  status: users.status,
  deletedAt: users.deletedAt,
  sessionsRevokedAt: users.sessionsRevokedAt,
};

export function toUserState(row: {
  tenantId: string | null;
  role: Role;
  grants: string[];
  status: UserState["status"];
  deletedAt: Date | null;
  sessionsRevokedAt: Date | null;
}): UserState {
  return {
    tenantId: row.tenantId,
    role: row.role,
    grants: row.grants.filter(isPermission),
    status: row.status,
    deleted: row.deletedAt !== null,
    sessionsRevokedAt: row.sessionsRevokedAt?.getTime() ?? null,
  };
}

/**
 * A user's state and their tenant's in one statement (one round trip on Neon), both cached.
 * `tenant` is undefined for a user without a tenant (the platform admin) or a missing user.
 */
export async function loadPrincipalState(
  db: Database,
  kv: KV,
  userId: string,
): Promise<{ user: UserState | null; tenant?: TenantState | null }> {
  const [row] = await db.db.select({
    ...userStateColumns,
    tenant: tenantStateColumns,
  }).from(users).leftJoin(tenants, eq(tenants.id, users.tenantId)).where(eq(users.id, userId));
  const user = row ? toUserState(row) : null;
  const tenant = row?.tenantId ? row.tenant : undefined;
  await Promise.all([
    cacheState(kv, userStateKey(userId), user),
    row?.tenantId ? cacheState(kv, tenantStateKey(row.tenantId), tenant) : undefined,
  ]);
  return { user, tenant };
}

/** The columns of `tenants` a `TenantState` is made of. */
export const tenantStateColumns = { status: tenants.status, plan: tenants.plan, settings: tenants.settings };

export async function loadTenantState(db: Database, kv: KV, tenantId: string): Promise<TenantState | null> {
  const [row] = await db.db.select(tenantStateColumns).from(tenants).where(eq(tenants.id, tenantId));
  const state = row ?? null;
  await cacheState(kv, tenantStateKey(tenantId), state);
  return state;
}

/** After a change to the user's row: the next request reads it again, on every instance. */
export async function forgetUser(kv: KV, userId: string): Promise<void> {
  await kv.set(userStateKey(userId), STALE, { ttlSeconds: STALE_SECONDS });
}

export async function forgetTenant(kv: KV, tenantId: string): Promise<void> {
  await kv.set(tenantStateKey(tenantId), STALE, { ttlSeconds: STALE_SECONDS });
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
  await kv.set(apiKeyStateKey(keyHash), STALE, { ttlSeconds: STALE_SECONDS });
}
