import { and, isNull, sql } from "drizzle-orm";
import { users } from "../db/schema/index.ts";
import { hashPassword } from "./auth/password.ts";
import { uuidv7 } from "./core/ids.ts";
import type { Services } from "./services.ts";

/**
 * Creates the platform super admin from `BOOTSTRAP_ADMIN_*` on first start. Later starts find the
 * account and change nothing (its password is the admin's own business from then on).
 */
export async function ensureBootstrapAdmin(s: Services): Promise<"created" | "exists" | "not_configured"> {
  const admin = s.config.bootstrapAdmin;
  if (!admin) return "not_configured";
  const existing = await s.database.db.select({ id: users.id }).from(users)
    .where(and(sql`lower(${users.email}) = ${admin.email}`, isNull(users.deletedAt)));
  if (existing.length > 0) return "exists";
  const now = s.clock.now();
  const inserted = await s.database.db.insert(users).values({
    id: uuidv7(),
    tenantId: null,
    email: admin.email,
    name: "Platform admin",
    passwordHash: await hashPassword(admin.password),
    role: "super_admin",
    emailVerifiedAt: now,
    createdAt: now,
    updatedAt: now,
    // Two instances starting at once: the unique email index lets one of them win.
  }).onConflictDoNothing().returning({ id: users.id });
  if (inserted.length > 0) s.obs.log.info("created the platform super admin", { email: admin.email });
  return inserted.length > 0 ? "created" : "exists";
}
