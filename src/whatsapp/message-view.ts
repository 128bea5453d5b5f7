import type { messages } from "../../db/schema/index.ts";

type MessageRow = typeof messages.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The API's view of a message. */
export function messageView(m: MessageRow) {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    contact_id: m.contactId,
    config_id: m.configId,
    direction: m.direction,
    type: m.type,
    content: m.content,
    body: m.body,
    status: m.status,
    provider_message_id: m.providerMessageId,
    reply_to: m.replyTo,
    sender_type: m.senderType,
    sender_user_id: m.senderUserId,
    error: m.errorCode ? { code: m.errorCode, title: m.errorTitle, detail: m.errorDetail } : null,
    retry_of: m.retryOf,
    timestamp: m.timestamp.toISOString(),
    sent_at: iso(m.sentAt),
    delivered_at: iso(m.deliveredAt),
    read_at: iso(m.readAt),
    failed_at: iso(m.failedAt),
    created_at: m.createdAt.toISOString(),
  };
}

export type MessageView = ReturnType<typeof messageView>;
