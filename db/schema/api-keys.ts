import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

/** Machine credentials of a tenant: only a SHA-256 of the key is kept; the key is shown once. */
export const apiKeys = pgTable("api_keys", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  name: text("name").notNull(),
  /** The first characters, so people can tell their keys apart (`pk_3fQx9a…`). */
  prefix: text("prefix").notNull(),
  keyHash: text("key_hash").notNull(),
  permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
  createdBy: uuid("created_by").notNull().references(() => users.id),
  lastUsedAt: timestamptz("last_used_at"),
  expiresAt: timestamptz("expires_at"),
  revokedAt: timestamptz("revoked_at"),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex("api_keys_hash_key").on(t.keyHash),
  index("api_keys_tenant_idx").on(t.tenantId, t.createdAt),
]);
