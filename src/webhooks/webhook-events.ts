import type { EventType } from "../events/events.ts";

/**
 * The events a tenant can receive on its webhooks (DESIGN §6). Presence and other chatter meant
 * for live screens stay on the WebSocket.
 */
export const webhookEventTypes = [
  "message.received",
  "message.sent",
  "message.delivered",
  "message.read",
  "message.failed",
  "conversation.created",
  "conversation.updated",
  "conversation.assigned",
  "conversation.resolved",
  "conversation.note_added",
  "contact.created",
  "contact.updated",
  "contact.import_completed",
  "whatsapp.connection_updated",
  "erp.payment_received",
  "erp.customer_unblocked",
  "erp.ticket_updated",
] as const satisfies readonly EventType[];

export type WebhookEventType = typeof webhookEventTypes[number];

/** `ping`: what `POST /webhooks/{id}/test` sends. */
export const PING_EVENT = "ping";

export const deliverable = (type: string): type is WebhookEventType =>
  (webhookEventTypes as readonly string[]).includes(type);

/** Whether an endpoint subscribed to `events` wants `type`. */
export const wants = (events: readonly string[], type: string): boolean =>
  events.includes("*") || events.includes(type);
