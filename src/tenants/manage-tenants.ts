import { and, desc, eq, ilike, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import { tenants, type TenantStatus, users } from "../../db/schema/index.ts";
import { auditInsert, auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import { forgetTenant } from "../auth/principal-state.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { PageParams } from "../http/pagination.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import { containsPattern, countRows, pageAndTotal } from "../platform/db/query-helpers.ts";
import type { Services } from "../services.ts";
import { createUser } from "../users/manage-users.ts";
import { type PlanCode, plans } from "./plans.ts";
import { defaultTenantSettings, slugFor, type TenantSettingsInput } from "./tenant-settings.ts";
import { type TenantView, tenantView } from "./tenant-view.ts";

type Row = typeof tenants.$inferSelect;

/** Days a deleted tenant's data is kept before the purge job erases it. */
export const PURGE_GRACE_DAYS = 30;

const notFound = () => fail<never>("not_found", "Tenant not found");
const isPlatform = (p: Principal) => p.kind === "user" && p.role === "super_admin";

/**
 * A tenant as the caller may see it: the platform admin sees every tenant (deleted ones too, so
 * they can be inspected until purged); anyone else only their own live tenant.
 */
async function visibleTenant(s: Services, p: Principal, id: string): Promise<Row | undefined> {
  if (!isPlatform(p) && p.tenantId !== id) return undefined;
  const [row] = await s.database.db.select().from(tenants).where(eq(tenants.id, id));
  if (!row || (!isPlatform(p) && row.status === "deleted")) return undefined;
  return row;
}

function userCount(s: Services, tenantId: string): Promise<number> {
  return countRows(s.database.db, users, and(eq(users.tenantId, tenantId), isNull(users.deletedAt)));
}

export async function getTenant(s: Services, p: Principal, id: string): Promise<Result<TenantView>> {
  const row = await visibleTenant(s, p, id);
  if (!row) return notFound();
  return ok(tenantView(row, { users: await userCount(s, id) }));
}

export async function listTenants(
  s: Services,
  q: PageParams & { status?: TenantStatus; plan?: PlanCode; q?: string },
) {
  const filters: SQL[] = [];
  if (q.status) filters.push(eq(tenants.status, q.status));
  else filters.push(ne(tenants.status, "deleted"));
  if (q.plan) filters.push(eq(tenants.plan, q.plan));
  if (q.q) {
    const like = containsPattern(q.q);
    filters.push(or(ilike(tenants.name, like), ilike(tenants.slug, like), ilike(tenants.domain, like))!);
  }
  const where = and(...filters);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(tenants).where(where).orderBy(desc(tenants.createdAt))
        .limit(q.limit).offset((q.page - 1) * q.limit),
    tenants,
    where,
  );
  return { rows: rows.map((r) => tenantView(r)), total };
}

export interface CreateTenantInput {
  name: string;
  domain?: string;
  plan?: PlanCode;
  settings?: TenantSettingsInput;
  owner?: { email: string; name: string };
}

/** Platform admin creates a tenant; with `owner`, its first owner is invited by mail. */
export async function createTenant(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: CreateTenantInput,
): Promise<Result<TenantView>> {
  const now = s.clock.now();
  const row = {
    id: uuidv7(),
    name: input.name.trim(),
    slug: slugFor(input.name),
    domain: input.domain?.toLowerCase() ?? null,
    plan: input.plan ?? "starter",
    settings: { ...defaultTenantSettings(), ...input.settings },
    createdAt: now,
    updatedAt: now,
  };
  try {
    await s.database.atomic((db) =>
      [
        db.insert(tenants).values(row),
        auditInsert(db, meta, {
          action: "tenant.create",
          tenantId: row.id,
          targetType: "tenant",
          targetId: row.id,
          metadata: { name: row.name, plan: row.plan, domain: row.domain },
        }, now),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err)) return fail("conflict", "Another tenant already uses this domain");
    throw err;
  }
  if (input.owner) {
    // The invitation is written as if by an owner of the new tenant, so it passes the same rules.
    const asOwner: Principal = { ...p, tenantId: row.id, role: "owner" } as Principal;
    const invited = await createUser(s, meta, asOwner, { ...input.owner, role: "owner" });
    if (!invited.ok) return invited as Result<never>;
  }
  return getTenant(s, p, row.id);
}

export interface UpdateTenantInput {
  name?: string;
  domain?: string | null;
  settings?: TenantSettingsInput;
}

/** Name and settings by the tenant's owner; the domain only by the platform admin. */
export async function updateTenant(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: UpdateTenantInput,
): Promise<Result<TenantView>> {
  const row = await visibleTenant(s, p, id);
  if (!row || row.status === "deleted") return notFound();
  if (input.domain !== undefined && !isPlatform(p)) {
    return fail("forbidden", "Only the platform admin changes a tenant's domain");
  }
  const now = s.clock.now();
  const settings = input.settings ? { ...row.settings, ...input.settings } : undefined;
  const changes = {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.domain !== undefined ? { domain: input.domain?.toLowerCase() ?? null } : {}),
    ...(settings ? { settings } : {}),
    updatedAt: now,
  };
  try {
    await s.database.atomic((db) =>
      [
        db.update(tenants).set(changes).where(eq(tenants.id, id)),
        auditInsert(db, meta, {
          action: "tenant.update",
          tenantId: id,
          targetType: "tenant",
          targetId: id,
          metadata: {
            changed: Object.keys(changes).filter((k) => k !== "updatedAt"),
            settings: input.settings,
          },
        }, now),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err)) return fail("conflict", "Another tenant already uses this domain");
    throw err;
  }
  // Authentication caches the settings (time zone, thresholds) with the tenant's state.
  await forgetTenant(s.kv, id);
  return getTenant(s, p, id);
}

/**
 * One status or plan change, written only if the tenant is in an expected state (one statement,
 * so two admins racing cannot both win), recorded, and pushed to the auth cache at once.
 */
async function transition(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  opts: {
    from: SQL;
    set: Partial<typeof tenants.$inferInsert>;
    action: string;
    metadata?: Record<string, unknown>;
    conflict: string;
  },
): Promise<Result<TenantView>> {
  const row = await visibleTenant(s, p, id);
  if (!row || row.status === "deleted") return notFound();
  const now = s.clock.now();
  const [changed] = await s.database.atomic((db) =>
    [
      db.update(tenants).set({ ...opts.set, updatedAt: now }).where(and(eq(tenants.id, id), opts.from))
        .returning({ id: tenants.id }),
      auditInsertWhere(
        db,
        meta,
        {
          action: opts.action,
          tenantId: id,
          targetType: "tenant",
          targetId: id,
          metadata: opts.metadata,
        },
        now,
        sql`exists (select 1 from ${tenants} where ${and(eq(tenants.id, id), eq(tenants.updatedAt, now))})`,
      ),
    ] as const
  );
  if (changed.length === 0) return fail("conflict", opts.conflict);
  await forgetTenant(s.kv, id);
  return getTenant(s, p, id);
}

export function upgradeTenant(s: Services, meta: RequestMeta, p: Principal, id: string, plan: PlanCode) {
  const notBelow = Object.entries(plans).filter(([, v]) => v.rank >= plans[plan].rank).map(([k]) => k);
  return transition(s, meta, p, id, {
    from: sql`${tenants.plan} not in (${sql.join(notBelow.map((k) => sql`${k}`), sql`, `)})`,
    set: { plan },
    action: "tenant.upgrade",
    metadata: { plan },
    conflict: `The tenant is already on ${plan} or a higher plan; downgrades are not done here`,
  });
}

export function suspendTenant(s: Services, meta: RequestMeta, p: Principal, id: string, reason: string) {
  const now = s.clock.now();
  return transition(s, meta, p, id, {
    from: eq(tenants.status, "active"),
    set: { status: "suspended", suspendedReason: reason, suspendedAt: now },
    action: "tenant.suspend",
    metadata: { reason },
    conflict: "The tenant is not active",
  });
}

export function reactivateTenant(s: Services, meta: RequestMeta, p: Principal, id: string) {
  return transition(s, meta, p, id, {
    from: eq(tenants.status, "suspended"),
    set: { status: "active", suspendedReason: null, suspendedAt: null },
    action: "tenant.reactivate",
    conflict: "The tenant is not suspended",
  });
}

/**
 * Soft delete: every credential of the tenant stops at once; its data is erased by the
 * `tenant.purge` job after the grace period, during which the platform admin can still see it.
 */
export async function deleteTenant(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const now = s.clock.now();
  const purgeAfter = new Date(now.getTime() + PURGE_GRACE_DAYS * 86_400_000);
  const res = await transition(s, meta, p, id, {
    from: ne(tenants.status, "deleted"),
    set: { status: "deleted", deletedAt: now, purgeAfter },
    action: "tenant.delete",
    metadata: { purge_after: purgeAfter.toISOString() },
    conflict: "The tenant is already deleted",
  });
  if (!res.ok) return res as Result<never>;
  await s.jobs.enqueue("tenant.purge", { tenant_id: id }, {
    delaySeconds: Math.min(PURGE_GRACE_DAYS * 86_400, MAX_JOB_DELAY_SECONDS),
    dedupeId: `tenant.purge:${id}`,
  });
  return ok(null);
}

/** QStash's free plan caps delays at 7 days; longer waits re-enqueue themselves. */
export const MAX_JOB_DELAY_SECONDS = 7 * 86_400;
