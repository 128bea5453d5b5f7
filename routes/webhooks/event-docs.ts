import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import type { EventType } from "../../src/events/events.ts";
import { type WebhookEventType, webhookEventTypes } from "../../src/webhooks/webhook-events.ts";
import { ContactSchema } from "../contacts/schemas.ts";
import { ImportSchema } from "../contacts/transfer.ts";
import { ConversationSchema, NoteSchema } from "../conversations/schemas.ts";
import { erpTypes } from "../../src/erp/model.ts";
import { TicketSchema } from "../erp/schemas.ts";
import { MessageSchema } from "../messages/schemas.ts";

/**
 * What each event carries in `data`, documented in the OpenAPI document's `webhooks` (3.1) and
 * in the README: a snapshot of the resource as the API returns it (src/events/payloads.ts builds
 * them), so a receiver or a WebSocket client can render it without calling back. The same
 * schemas check the events in the tests (tests/events/snapshots_test.ts).
 */
const ContactSummary = ConversationSchema.shape.contact.openapi("ContactSummary");

const messageData = (what: string) =>
  z.object({
    message: MessageSchema,
    conversation_id: z.uuid(),
    contact: ContactSummary,
  }).openapi({ description: what });

const conversationData = (what: string, extra: z.ZodRawShape = {}) =>
  z.object({ conversation: ConversationSchema, ...extra }).openapi({ description: what });

const contactData = (what: string, extra: z.ZodRawShape = {}) =>
  z.object({ contact: ContactSchema, ...extra }).openapi({ description: what });

const erpData = (what: string, extra: z.ZodRawShape) =>
  z.object({
    erp_type: z.enum(erpTypes),
    source: z.enum(["pytake", "erp"]).openapi({
      description: "Who caused it: a PyTake call, or the ERP's webhook.",
    }),
    ...extra,
  }).openapi({ description: what });

export const eventPayloads: Record<WebhookEventType, z.ZodType> = {
  "message.received": messageData(
    "A customer's message arrived (or one sent from the business's own phone).",
  ),
  "message.sent": messageData("The provider accepted an outbound message."),
  "message.delivered": messageData("WhatsApp delivered the message to the customer's phone."),
  "message.read": messageData("The customer read the message."),
  "message.failed": messageData("The message could not be delivered; `message.error` says why."),
  "conversation.created": conversationData(
    "A conversation opened (a customer's first message, or by the API).",
    {
      reopened: z.boolean(),
    },
  ),
  "conversation.updated": conversationData(
    "Its status, tags or priority changed, or a resolved one opened again on a new message.",
    {
      reopened: z.boolean().optional(),
      previous_status: z.string().optional().openapi({ example: "waiting" }),
    },
  ),
  "conversation.assigned": conversationData("Assigned, unassigned or transferred; `conversation` is after.", {
    kind: z.enum(["assign", "unassign", "transfer"]),
    previous_assignee: z.uuid().nullable(),
    reason: z.string().nullable(),
  }),
  "conversation.resolved": conversationData("Resolved.", {
    previous_status: z.string().openapi({ example: "active" }),
  }),
  "conversation.note_added": conversationData("An internal note was added (never sent to the customer).", {
    note: NoteSchema,
  }),
  "contact.created": contactData("A contact was created (by hand, by an inbound message or a send)."),
  "contact.updated": contactData("A contact changed; `fields` names what, `deleted` when it was deleted.", {
    fields: z.array(z.string()).optional().openapi({ example: ["name", "tags"] }),
    deleted: z.boolean().optional(),
  }),
  "contact.import_completed": z.object({ import: ImportSchema }).openapi({
    description: "A contact import finished; the counters say what happened to its rows.",
  }),
  "whatsapp.connection_updated": z.object({
    config_id: z.uuid(),
    connection_state: z.enum(["connected", "connecting", "disconnected", "error"]),
  }).openapi({ description: "An Evolution number's connection changed." }),
  "erp.payment_received": erpData("The ERP confirmed a payment (its webhook).", {
    erp_event_id: z.string().nullable(),
    occurred_at: z.iso.datetime().nullable(),
    customer_id: z.string().nullable(),
    invoice_id: z.string().nullable(),
    amount_cents: z.number().int().nullable(),
    paid_at: z.iso.datetime().nullable(),
  }),
  "erp.customer_unblocked": erpData("A trust unlock: asked through PyTake, or told by the ERP's webhook.", {
    customer_id: z.string(),
    contract_id: z.string().nullable(),
    until: z.string().nullable().openapi({ description: "Released until this day (YYYY-MM-DD)." }),
    protocol: z.string().nullable().optional(),
    message: z.string().nullable().optional(),
    erp_event_id: z.string().nullable().optional(),
    occurred_at: z.iso.datetime().nullable().optional(),
  }),
  "erp.ticket_updated": erpData("A ticket was opened, answered or closed, through PyTake or in the ERP.", {
    change: z.enum(["created", "message_added", "closed", "updated"]),
    ticket: z.union([
      TicketSchema,
      z.object({
        id: z.string(),
        protocol: z.string().nullable(),
        customer_id: z.string().nullable(),
        status: z.string().nullable(),
        message: z.string().nullable(),
      }).openapi({ description: "As the ERP's webhook told it (fewer fields than the ticket routes)." }),
    ]),
    erp_event_id: z.string().nullable().optional(),
    occurred_at: z.iso.datetime().nullable().optional(),
  }),
};

/** The payload of an event type, for checking produced events against the documentation. */
export const eventPayload = (type: EventType): z.ZodType | undefined =>
  (eventPayloads as Record<string, z.ZodType>)[type];

const envelope = (type: string, data: z.ZodType) =>
  z.object({
    id: z.uuid().openapi({ description: "The event's id; the same on every retry (deduplicate by it)." }),
    event: z.literal(type),
    created_at: z.iso.datetime(),
    tenant_id: z.uuid(),
    data,
  });

/** One `webhooks` entry per deliverable event, as the receiver sees the POST. */
export function registerEventDocs(app: App): void {
  for (const type of webhookEventTypes) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["Webhooks"],
      operationId: `event_${type.replace(".", "_")}`,
      summary: type,
      description:
        'Sent to every active endpoint subscribed to this event (or `*`), signed: `X-PyTake-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with the endpoint\'s secret. Also pushed to WebSocket clients on the matching channel with the same `data`. Answer 2xx; other answers are retried for about a day.',
      request: {
        headers: z.object({
          "x-pytake-signature": z.string().openapi({ example: "t=1767225600,v1=5f1c…" }),
          "x-pytake-event-id": z.uuid(),
          "x-pytake-event-type": z.string().openapi({ example: type }),
          "x-pytake-delivery-id": z.uuid(),
          "x-pytake-attempt": z.string().openapi({ example: "1" }),
        }),
        body: { content: { "application/json": { schema: envelope(type, eventPayloads[type]) } } },
      },
      responses: { 200: { description: "Received (any 2xx)." } },
    });
  }
}
