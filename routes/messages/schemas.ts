import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { messageStatuses, messageTypes } from "../../db/schema/index.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";

export const TAG = "Messages";

export const MessageSchema = z.object({
  id: z.uuid(),
  conversation_id: z.uuid(),
  contact_id: z.uuid(),
  config_id: z.uuid(),
  direction: z.enum(["inbound", "outbound"]),
  type: z.enum(messageTypes),
  content: z.record(z.string(), z.unknown()).openapi({
    description: "The type's payload in Meta's shape (`text`, `media`, `location`, `interactive`, …).",
    example: { type: "text", text: { body: "Olá, tudo bem?" } },
  }),
  body: z.string().nullable().openapi({ description: "Readable text: what search looks in." }),
  status: z.enum(messageStatuses).openapi({
    description: "`pending` → `sent` → `delivered` → `read`, or `failed`; inbound messages are `received`.",
  }),
  provider_message_id: z.string().nullable().openapi({
    example: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
  }),
  reply_to: z.string().nullable(),
  sender_type: z.enum(["contact", "agent", "bot", "system", "api"]),
  sender_user_id: z.uuid().nullable(),
  error: z.object({ code: z.string(), title: z.string().nullable(), detail: z.string().nullable() })
    .nullable()
    .openapi({
      example: {
        code: "131026",
        title:
          "The message could not be delivered: the number is not on WhatsApp, or has not accepted the terms",
        detail: "Message Undeliverable.",
      },
    }),
  retry_of: z.uuid().nullable(),
  timestamp: Timestamp,
  sent_at: Timestamp.nullable(),
  delivered_at: Timestamp.nullable(),
  read_at: Timestamp.nullable(),
  failed_at: Timestamp.nullable(),
  created_at: Timestamp,
}).openapi("Message");

/** Fields every send takes. */
export const SendCommon = {
  to: z.string().trim().min(8).max(24).openapi({
    description: "The customer's number; normalised to E.164 (Brazil by default).",
    example: "+5511999999999",
  }),
  config_id: z.uuid().optional().openapi({
    description: "The number to send through; the tenant's default otherwise.",
  }),
  reply_to_message_id: z.uuid().optional().openapi({
    description: "Quote one of the conversation's messages.",
  }),
};

export const SendResponseSchema = z.object({
  message: MessageSchema,
  outcome: z.enum(["sent", "queued"]).openapi({
    description: "`queued`: the provider failed transiently; the message is retried in the background.",
  }),
}).openapi("SendResult");

/** Where a queued message is followed: its status and timeline. */
export const MESSAGE_STATUS_PATH = "/api/v1/whatsapp/messages/{id}/status";

/** A queued send (202) says where to follow it: `Location` at the message's status. */
export function followQueued(
  c: Context<AppEnv>,
  result: { outcome: "sent" | "queued"; message: { id: string } },
) {
  if (result.outcome === "queued") {
    c.header("Location", MESSAGE_STATUS_PATH.replace("{id}", result.message.id));
  }
}
