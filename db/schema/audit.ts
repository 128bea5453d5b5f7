import { index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

export const actorTypes = ["user", "api_key", "system", "anonymous"] as const;

/**
 * Who did what to which resource, from where: every mutating and security-relevant action.
 * Append-only; rows outlive the users and tenants they name.
 */
export const auditLog = pgTable("audit_log", {
  id: id(),
  tenantId: uuid("tenant_id"),
  actorType: text("actor_type", { enum: actorTypes }).notNull(),
  actorId: uuid("actor_id"),
  /** `auth.login`, `user.update`, `tenant.suspend`, … */
  action: text("action").notNull(),
  targetType: text("target_type"),
  targetId: text("target_id"),
  ip: text("ip"),
  userAgent: text("user_agent"),
  requestId: text("request_id"),
  metadata: jsonb("metadata").$type<Record<string, unknown>>(),
  createdAt: createdAt(),
}, (t) => [
  index("audit_log_tenant_idx").on(t.tenantId, t.createdAt),
  index("audit_log_actor_idx").on(t.actorId, t.createdAt),
  index("audit_log_target_idx").on(t.targetType, t.targetId, t.createdAt),
]);
