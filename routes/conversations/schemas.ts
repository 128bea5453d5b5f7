import { z } from "@hono/zod-openapi";
import { conversationStatuses } from "../../db/schema/index.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";
import { MessageSchema } from "../messages/schemas.ts";

export const TAG = "Conversations";

export const Tag = z.string().trim().min(1).max(50).openapi({ example: "financeiro" });
export const TagList = z.array(Tag).max(50);

export const Priority = z.enum(["low", "normal", "high", "urgent"]);

export const ConversationSchema = z.object({
  id: z.uuid(),
  status: z.enum(conversationStatuses).openapi({
    description:
      "`active` (a bot or an agent is on it), `waiting` (needs an agent), `resolved`, `archived`. A new customer message opens a resolved one again.",
  }),
  priority: Priority,
  tags: z.array(z.string()).openapi({ example: ["vip", "suporte"] }),
  config_id: z.uuid().openapi({ description: "The WhatsApp number it runs on." }),
  contact: z.object({
    id: z.uuid(),
    name: z.string().nullable().openapi({ example: "João Silva" }),
    phone: z.string().openapi({ example: "+5511999999999" }),
    email: z.string().nullable(),
    blocked: z.boolean(),
  }),
  assigned_to: z.uuid().nullable(),
  assignee: z.object({ id: z.uuid(), name: z.string(), email: z.string() }).nullable(),
  unread_count: z.number().int(),
  window_expires_at: Timestamp.nullable().openapi({
    description: "Until when free-form messages may be sent (24 h after the customer's last message).",
  }),
  window_open: z.boolean(),
  last_message_at: Timestamp.nullable(),
  last_inbound_at: Timestamp.nullable(),
  first_response_at: Timestamp.nullable(),
  resolved_at: Timestamp.nullable(),
  assigned_at: Timestamp.nullable(),
  status_changed_at: Timestamp.nullable().openapi({ description: "When it entered its current status." }),
  archived_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("Conversation");

export const NoteSchema = z.object({
  id: z.uuid(),
  conversation_id: z.uuid(),
  note: z.string().openapi({ example: "Cliente solicitou desconto" }),
  author: z.object({
    type: z.enum(["user", "api_key"]),
    id: z.uuid().nullable(),
    name: z.string().nullable(),
  }),
  created_at: Timestamp,
}).openapi("ConversationNote");

export const AssignmentSchema = z.object({
  id: z.uuid(),
  kind: z.enum(["assign", "transfer", "unassign"]),
  from: z.object({ id: z.uuid(), name: z.string().nullable() }).nullable(),
  to: z.object({ id: z.uuid(), name: z.string().nullable() }).nullable(),
  by: z.object({ type: z.enum(["user", "api_key"]), id: z.uuid().nullable(), name: z.string().nullable() }),
  reason: z.string().nullable(),
  created_at: Timestamp,
}).openapi("ConversationAssignment");

export const ConversationDetailSchema = ConversationSchema.extend({
  messages: z.array(MessageSchema).openapi({
    description: "The latest messages, oldest first (the full history: GET /api/v1/whatsapp/messages).",
  }),
  notes: z.array(NoteSchema),
  assignments: z.array(AssignmentSchema).openapi({
    description: "Every assignment and transfer, oldest first.",
  }),
}).openapi("ConversationDetail");
