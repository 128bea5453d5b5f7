import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz } from "./columns.ts";
import { contacts } from "./contacts.ts";
import { conversations } from "./conversations.ts";
import { users } from "./users.ts";
import { whatsappConfigs } from "./whatsapp.ts";

export const messageTypes = [
  "text",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "location",
  "contacts",
  "interactive",
  "button",
  "template",
  "reaction",
  "unsupported",
] as const;
export type MessageType = typeof messageTypes[number];

export const messageStatuses = ["pending", "sent", "delivered", "read", "failed", "received"] as const;
export type MessageStatus = typeof messageStatuses[number];

/**
 * One WhatsApp message either way. `content` keeps the type-specific payload; `body` is its
 * readable text (what search looks in). The provider's id is unique per number, which makes a
 * redelivered webhook a no-op.
 */
export const messages = pgTable("messages", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  conversationId: uuid("conversation_id").notNull().references(() => conversations.id),
  contactId: uuid("contact_id").notNull().references(() => contacts.id),
  configId: uuid("config_id").notNull().references(() => whatsappConfigs.id),
  direction: text("direction", { enum: ["inbound", "outbound"] }).notNull(),
  type: text("type", { enum: messageTypes }).notNull(),
  content: jsonb("content").$type<Record<string, unknown>>().notNull(),
  body: text("body"),
  status: text("status", { enum: messageStatuses }).notNull(),
  providerMessageId: text("provider_message_id"),
  /** The provider id of the message this one quotes or reacts to. */
  replyTo: text("reply_to"),
  senderType: text("sender_type", { enum: ["contact", "agent", "bot", "system", "api"] }).notNull(),
  senderUserId: uuid("sender_user_id").references(() => users.id),
  errorCode: text("error_code"),
  errorTitle: text("error_title"),
  errorDetail: text("error_detail"),
  /** A resend is a new message that names the failed one it replaces. */
  retryOf: uuid("retry_of"),
  sentAt: timestamptz("sent_at"),
  deliveredAt: timestamptz("delivered_at"),
  readAt: timestamptz("read_at"),
  failedAt: timestamptz("failed_at"),
  /** When the message happened (the provider's timestamp for inbound ones). */
  timestamp: timestamptz("timestamp").notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex("messages_provider_id_key").on(t.configId, t.providerMessageId).where(
    sql`${t.providerMessageId} is not null`,
  ),
  index("messages_conversation_idx").on(t.conversationId, t.timestamp),
  index("messages_tenant_time_idx").on(t.tenantId, t.timestamp),
  index("messages_body_search_idx").using("gin", sql`f_unaccent(lower(${t.body})) gin_trgm_ops`),
]);

/**
 * Every status a provider reported, in order of arrival: the timeline of a message. A status
 * may arrive before the send that created the message has stored the provider id; it is kept
 * with `message_id` empty and attached when the id is known.
 */
export const messageEvents = pgTable("message_events", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  configId: uuid("config_id").notNull(),
  messageId: uuid("message_id"),
  providerMessageId: text("provider_message_id").notNull(),
  status: text("status").notNull(),
  errorCode: text("error_code"),
  errorTitle: text("error_title"),
  detail: jsonb("detail").$type<Record<string, unknown>>(),
  occurredAt: timestamptz("occurred_at").notNull(),
  createdAt: createdAt(),
}, (t) => [
  index("message_events_message_idx").on(t.messageId, t.occurredAt),
  index("message_events_orphan_idx").on(t.configId, t.providerMessageId).where(sql`${t.messageId} is null`),
  uniqueIndex("message_events_once_key").on(t.configId, t.providerMessageId, t.status),
]);
