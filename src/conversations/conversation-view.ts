import { eq } from "drizzle-orm";
import { contacts, conversations, users } from "../../db/schema/index.ts";
import { contactSummary } from "../contacts/contact-view.ts";
import type { Db } from "../platform/db/database.ts";

export type ConversationRow = typeof conversations.$inferSelect;

/** The columns every conversation answer is made of: the row, its contact, its agent. */
export const conversationColumns = {
  conversation: conversations,
  contact: {
    id: contacts.id,
    name: contacts.name,
    profileName: contacts.profileName,
    phone: contacts.phone,
    email: contacts.email,
    blocked: contacts.blocked,
  },
  assignee: { id: users.id, name: users.name, email: users.email },
};

/** `select … from conversations` joined to what its answer shows. */
export const selectConversations = (db: Db) =>
  db.select(conversationColumns).from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .leftJoin(users, eq(users.id, conversations.assignedTo));

export type ConversationJoined = {
  conversation: ConversationRow;
  contact: {
    id: string;
    name: string | null;
    profileName: string | null;
    phone: string;
    email: string | null;
    blocked: boolean;
  };
  assignee: { id: string; name: string; email: string } | null;
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The API's view of a conversation. */
export function conversationView(j: ConversationJoined, now: Date) {
  const c = j.conversation;
  return {
    id: c.id,
    status: c.status,
    priority: c.priority,
    tags: c.tags,
    config_id: c.configId,
    contact: contactSummary(j.contact),
    assigned_to: c.assignedTo,
    assignee: j.assignee ? { id: j.assignee.id, name: j.assignee.name, email: j.assignee.email } : null,
    unread_count: c.unreadCount,
    window_expires_at: iso(c.windowExpiresAt),
    window_open: c.windowExpiresAt !== null && c.windowExpiresAt > now,
    last_message_at: iso(c.lastMessageAt),
    last_inbound_at: iso(c.lastInboundAt),
    first_response_at: iso(c.firstResponseAt),
    resolved_at: iso(c.resolvedAt),
    assigned_at: iso(c.assignedAt),
    status_changed_at: iso(c.statusChangedAt),
    archived_at: iso(c.archivedAt),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export type ConversationView = ReturnType<typeof conversationView>;
