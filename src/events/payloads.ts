import type { ContactRow } from "../contacts/contact-view.ts";
import { contactView } from "../contacts/contact-view.ts";
import type { ContactSummary } from "../contacts/contact-view.ts";
import { type ConversationJoined, conversationView } from "../conversations/conversation-view.ts";
import type { messages } from "../../db/schema/index.ts";
import { messageView } from "../whatsapp/message-view.ts";

/**
 * The `data` of each event: a snapshot of the resource as the API returns it, so a WebSocket
 * client or a webhook receiver renders the row without calling back (as Chatwoot and Stripe do).
 * Producers build them from the rows their own statements returned (RETURNING, joins): a
 * snapshot costs no round trip. The shapes are documented per event type in the OpenAPI
 * document's `webhooks` (src/events/event-schemas.ts) and in the README.
 */

/** `message.*`: the message, its conversation's id and its contact. */
export const messageEvent = (m: typeof messages.$inferSelect, contact: ContactSummary) => ({
  message: messageView(m),
  conversation_id: m.conversationId,
  contact,
});

/** `conversation.*`: the conversation with its contact and agent, and what the event adds. */
export const conversationEvent = (
  c: ConversationJoined,
  now: Date,
  extra: Record<string, unknown> = {},
) => ({ conversation: conversationView(c, now), ...extra });

/** `contact.*`: the contact's view, and what the event adds (the fields changed). */
export const contactEvent = (c: ContactRow, extra: Record<string, unknown> = {}) => ({
  contact: contactView(c),
  ...extra,
});
