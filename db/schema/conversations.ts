import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { contacts } from "./contacts.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";
import { whatsappConfigs } from "./whatsapp.ts";

export const conversationStatuses = ["active", "waiting", "resolved", "archived"] as const;
export type ConversationStatus = typeof conversationStatuses[number];

/**
 * A thread with one contact on one number. At most one open (active or waiting) conversation
 * per contact and number, enforced by a partial unique index; an inbound message on a resolved
 * one opens it again.
 */
export const conversations = pgTable("conversations", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  contactId: uuid("contact_id").notNull().references(() => contacts.id),
  configId: uuid("config_id").notNull().references(() => whatsappConfigs.id),
  status: text("status", { enum: conversationStatuses }).notNull().default("active"),
  priority: text("priority", { enum: ["low", "normal", "high", "urgent"] }).notNull().default("normal"),
  assignedTo: uuid("assigned_to").references(() => users.id),
  tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
  /** The 24-hour customer-service window: free-form messages are allowed until then. */
  windowExpiresAt: timestamptz("window_expires_at"),
  lastMessageAt: timestamptz("last_message_at"),
  lastInboundAt: timestamptz("last_inbound_at"),
  unreadCount: integer("unread_count").notNull().default(0),
  firstResponseAt: timestamptz("first_response_at"),
  resolvedAt: timestamptz("resolved_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("conversations_one_open_key").on(t.contactId, t.configId).where(
    sql`${t.status} in ('active', 'waiting')`,
  ),
  index("conversations_tenant_activity_idx").on(t.tenantId, t.lastMessageAt),
  index("conversations_contact_idx").on(t.contactId, t.createdAt),
]);
