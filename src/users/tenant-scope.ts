import { and, eq, isNull, type SQL } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";

/**
 * The users a principal may see: those of its tenant; for the platform admin, the other platform
 * admins. Taken from the principal, never from the request (DESIGN §4).
 */
export function usersOf(p: Principal): SQL {
  return and(p.tenantId ? eq(users.tenantId, p.tenantId) : isNull(users.tenantId), isNull(users.deletedAt))!;
}
