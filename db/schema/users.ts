import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const userRoles = ["super_admin", "owner", "admin", "supervisor", "agent", "viewer"] as const;
export const userStatuses = ["active", "invited", "disabled"] as const;

/**
 * People who sign in. An email signs in to one account (unique among live users); the platform
 * super admin has no tenant. Deletion is soft so audit entries keep naming their actor.
 */
export const users = pgTable("users", {
  id: id(),
  tenantId: uuid("tenant_id").references(() => tenants.id),
  email: text("email").notNull(),
  name: text("name").notNull(),
  /** Self-describing PBKDF2 string; null until an invited user sets a password. */
  passwordHash: text("password_hash"),
  role: text("role", { enum: userRoles }).notNull(),
  /** Grants on top of the role. */
  permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
  status: text("status", { enum: userStatuses }).notNull().default("active"),
  emailVerifiedAt: timestamptz("email_verified_at"),
  lastLoginAt: timestamptz("last_login_at"),
  /** Sessions that started before this instant are dead (password reset, change, "log out everywhere"). */
  sessionsRevokedAt: timestamptz("sessions_revoked_at"),
  deletedAt: timestamptz("deleted_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("users_email_live_key").on(sql`lower(${t.email})`).where(sql`${t.deletedAt} is null`),
  index("users_tenant_idx").on(t.tenantId, t.createdAt),
]);
