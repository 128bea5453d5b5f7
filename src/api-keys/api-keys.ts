import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.ts";
import { auditInsert, auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import { forgetApiKey } from "../auth/principal-state.ts";
import { isPermission, type Permission } from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { PageParams } from "../http/pagination.ts";
import { pageAndTotal } from "../platform/db/query-helpers.ts";
import type { Services } from "../services.ts";

type Row = typeof apiKeys.$inferSelect;

export function apiKeyView(k: Row) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    permissions: k.permissions.filter(isPermission).sort(),
    created_by: k.createdBy,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    expires_at: k.expiresAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
  };
}

export type ApiKeyView = ReturnType<typeof apiKeyView>;

const live = (tenantId: string) => and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt));

export async function listApiKeys(s: Services, p: Principal, page: PageParams) {
  const where = live(p.tenantId!);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt))
        .limit(page.limit).offset((page.page - 1) * page.limit),
    apiKeys,
    where,
  );
  return { rows: rows.map(apiKeyView), total };
}

/**
 * A new key for machine clients. The secret is returned once and only its SHA-256 is stored; it
 * carries the permissions asked for, which must all be the creator's (all of them by default).
 */
export async function createApiKey(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: { name: string; permissions?: Permission[]; expires_at?: string },
): Promise<Result<ApiKeyView & { key: string }>> {
  if (p.kind !== "user" || !p.tenantId) return fail("forbidden", "API keys are created by users of a tenant");
  const wanted = input.permissions ?? [...p.permissions];
  const foreign = wanted.filter((perm) => !p.permissions.has(perm));
  if (foreign.length > 0) {
    return fail("forbidden", `A key cannot carry permissions you do not hold: ${foreign.join(", ")}`);
  }
  const now = s.clock.now();
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt <= now) {
    return fail("validation_failed", "The expiry is in the past", {
      errors: [{ path: "body.expires_at", message: "Must be in the future" }],
    });
  }
  const key = `pk_${randomToken(32)}`;
  const row = {
    id: uuidv7(),
    tenantId: p.tenantId,
    name: input.name.trim(),
    prefix: key.slice(0, 10),
    keyHash: await sha256Hex(key),
    permissions: [...new Set(wanted)].sort(),
    createdBy: p.userId,
    expiresAt,
    createdAt: now,
  };
  await s.database.atomic((db) =>
    [
      db.insert(apiKeys).values(row),
      auditInsert(db, meta, {
        action: "api_key.create",
        targetType: "api_key",
        targetId: row.id,
        metadata: { name: row.name, permissions: row.permissions },
      }, now),
    ] as const
  );
  return ok({ ...apiKeyView({ ...row, lastUsedAt: null, revokedAt: null }), key });
}

/** Revokes at once: the cached key state is dropped so the next request with it gets a 401. */
export async function revokeApiKey(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const now = s.clock.now();
  const [revoked] = await s.database.atomic((db) =>
    [
      db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, id), live(p.tenantId!)))
        .returning({ keyHash: apiKeys.keyHash, name: apiKeys.name }),
      auditInsertWhere(
        db,
        meta,
        { action: "api_key.delete", targetType: "api_key", targetId: id },
        now,
        sql`exists (select 1 from ${apiKeys} where ${and(eq(apiKeys.id, id), eq(apiKeys.revokedAt, now))})`,
      ),
    ] as const
  );
  if (revoked.length === 0) return fail("not_found", "API key not found");
  await forgetApiKey(s.kv, revoked[0].keyHash);
  return ok(null);
}
