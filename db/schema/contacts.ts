import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";

/**
 * A tenant's customer. `phone` is E.164 and unique per tenant; `wa_id` is what WhatsApp calls
 * them (for older Brazilian mobiles it lacks the ninth digit), used as the `to` of sends.
 */
export const contacts = pgTable("contacts", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  phone: text("phone").notNull(),
  waId: text("wa_id"),
  name: text("name"),
  /** The WhatsApp profile name, as last seen in a webhook. */
  profileName: text("profile_name"),
  email: text("email"),
  tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
  attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  optIn: boolean("opt_in"),
  optInAt: timestamptz("opt_in_at"),
  optOutAt: timestamptz("opt_out_at"),
  blocked: boolean("blocked").notNull().default(false),
  lastSeenAt: timestamptz("last_seen_at"),
  deletedAt: timestamptz("deleted_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("contacts_tenant_phone_key").on(t.tenantId, t.phone).where(sql`${t.deletedAt} is null`),
  index("contacts_tenant_wa_idx").on(t.tenantId, t.waId),
  index("contacts_tenant_created_idx").on(t.tenantId, t.createdAt),
]);
