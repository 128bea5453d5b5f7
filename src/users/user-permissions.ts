import { eq, sql } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import { type Permission, rolePermissions } from "../auth/permissions.ts";
import { effectivePermissions, forgetUser } from "../auth/principal-state.ts";
import type { Principal } from "../auth/principal.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { findUser } from "./manage-users.ts";
import { canManage } from "./user-rank.ts";
import { isPermission } from "../auth/permissions.ts";

export function permissionsView(role: (typeof users.$inferSelect)["role"], grants: string[]) {
  const valid = grants.filter(isPermission);
  return {
    role,
    role_permissions: [...rolePermissions[role]].sort(),
    grants: [...valid].sort(),
    effective: [...effectivePermissions(role, valid)].sort(),
  };
}

export type PermissionsView = ReturnType<typeof permissionsView>;

/** Replaces a user's grants; only permissions the caller holds can be granted (no escalation). */
export async function setUserPermissions(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  grants: Permission[],
): Promise<Result<PermissionsView>> {
  const row = await findUser(s, p, id);
  if (!row) return fail("not_found", "User not found");
  const target = row.user;
  if (p.kind === "scrape" || !canManage(p.role, target.role) || (p.kind === "user" && p.userId === id)) {
    return fail("forbidden", "You cannot change this user's permissions");
  }
  const foreign = grants.filter((g) => !p.permissions.has(g));
  if (foreign.length > 0) {
    return fail("forbidden", `You cannot grant permissions you do not hold: ${foreign.join(", ")}`, {
      extensions: { not_held: foreign },
    });
  }
  const unique = [...new Set(grants)].sort();
  const now = s.clock.now();
  await s.database.atomic((db) =>
    [
      db.update(users).set({ permissions: sql`${`{${unique.join(",")}}`}::text[]`, updatedAt: now })
        .where(eq(users.id, id)),
      auditInsert(db, meta, {
        action: "user.permissions_change",
        targetType: "user",
        targetId: id,
        metadata: { before: target.permissions, after: unique },
      }, now),
    ] as const
  );
  await forgetUser(s.kv, id);
  return ok(permissionsView(target.role, unique));
}
