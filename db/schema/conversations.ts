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
  assignedAt: timestamptz("assigned_at"),
  /**
   * When the status last changed (the queue's "waiting since"). Kept by a trigger from the
   * `updated_at` the statement sets, so every path that moves a status stamps it, with the app's
   * clock.
   */
  statusChangedAt: timestamptz("status_changed_at"),
  archivedAt: timestamptz("archived_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("conversations_one_open_key").on(t.contactId, t.configId).where(
    sql`${t.status} in ('active', 'waiting')`,
  ),
  // The inbox order (newest activity first, nulls last, id as tie-break) read straight off an index.
  index("conversations_tenant_activity_idx").on(
    t.tenantId,
    t.lastMessageAt.desc().nullsLast(),
    t.id.desc().nullsFirst(),
  ),
  index("conversations_contact_idx").on(t.contactId, t.createdAt),
  index("conversations_tenant_status_idx").on(
    t.tenantId,
    t.status,
    t.lastMessageAt.desc().nullsLast(),
    t.id.desc().nullsFirst(),
  ),
  index("conversations_tenant_assignee_idx").on(
    t.tenantId,
    t.assignedTo,
    t.lastMessageAt.desc().nullsLast(),
    t.id.desc().nullsFirst(),
  ),
  // The view agents live in: what is open, newest first.
  index("conversations_open_activity_idx").on(
    t.tenantId,
    t.lastMessageAt.desc().nullsLast(),
    t.id.desc().nullsFirst(),
  )
    .where(sql`${t.status} in ('active', 'waiting')`),
  index("conversations_tenant_created_idx").on(t.tenantId, t.createdAt),
  index("conversations_tags_idx").using("gin", t.tags),
]);

/** Every assignment, transfer and release of a conversation: who, to whom, by whom, why. */
export const conversationAssignments = pgTable("conversation_assignments", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  conversationId: uuid("conversation_id").notNull().references(() => conversations.id),
  kind: text("kind", { enum: ["assign", "transfer", "unassign"] }).notNull(),
  fromUserId: uuid("from_user_id").references(() => users.id),
  toUserId: uuid("to_user_id").references(() => users.id),
  /** The user who did it; null when an API key did. */
  byUserId: uuid("by_user_id").references(() => users.id),
  byApiKeyId: uuid("by_api_key_id"),
  reason: text("reason"),
  createdAt: createdAt(),
}, (t) => [index("conversation_assignments_conversation_idx").on(t.conversationId, t.createdAt)]);

/** Internal notes: seen by the team, never sent to the customer. */
export const conversationNotes = pgTable("conversation_notes", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  conversationId: uuid("conversation_id").notNull().references(() => conversations.id),
  authorUserId: uuid("author_user_id").references(() => users.id),
  authorApiKeyId: uuid("author_api_key_id"),
  body: text("body").notNull(),
  createdAt: createdAt(),
}, (t) => [index("conversation_notes_conversation_idx").on(t.conversationId, t.createdAt)]);
