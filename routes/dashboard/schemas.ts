import { z } from "@hono/zod-openapi";
import { Timestamp } from "../../src/http/openapi-schemas.ts";

export const TAG = "Dashboard";

const Int = z.number().int();
const Rate = z.number().nullable().openapi({
  description: "0 to 1; null when there is nothing to divide by.",
});
const Seconds = z.number().int().nullable();

export const PeriodInfo = {
  period: z.enum(["today", "week", "month", "custom"]),
  time_zone: z.string().openapi({ example: "America/Sao_Paulo" }),
  from: Timestamp,
  to: Timestamp,
};

export const MessageMetrics = z.object({
  inbound: Int.openapi({ description: "Messages received from customers." }),
  outbound: Int.openapi({ description: "Messages sent (failed ones included)." }),
  failed: Int,
  delivered: Int.openapi({ description: "Outbound messages delivered (or read)." }),
  read: Int,
  delivery_rate: Rate.openapi({ description: "delivered / outbound that left (not pending)." }),
  read_rate: Rate.openapi({ description: "read / delivered." }),
}).openapi("MessageMetrics");

export const ConversationMetrics = z.object({
  new: Int.openapi({ description: "Started in the period." }),
  resolved: Int.openapi({ description: "Resolved in the period." }),
  active: Int.openapi({ description: "Active now." }),
  waiting: Int.openapi({ description: "Waiting for an agent now." }),
}).openapi("ConversationMetrics");

export const ContactMetrics = z.object({
  new: Int.openapi({ description: "Created in the period." }),
  total: Int.openapi({ description: "Contacts now." }),
}).openapi("ContactMetrics");

const Durations = z.object({
  count: Int,
  average: Seconds,
  median: Seconds,
  p95: Seconds,
});

export const KpisSchema = z.object({
  first_response_seconds: Durations.openapi({
    description: "Conversations first answered by an agent in the period: seconds from their start.",
  }),
  resolution_seconds: Durations.openapi({
    description: "Conversations resolved in the period: seconds from their start.",
  }),
  resolution_rate: Rate.openapi({
    description: "Of the conversations started in the period, the share resolved.",
  }),
  conversations_started: Int,
  conversations_resolved_of_started: Int,
  messages_per_conversation: z.number().nullable().openapi({
    description: "Messages in the period / conversations with messages in it.",
  }),
  handled_by: z.object({
    agent: Int.openapi({ description: "Conversations where an agent wrote in the period." }),
    bot: Int.openapi({ description: "Conversations answered only by automation (bot, API) in the period." }),
  }),
}).openapi("Kpis");

export const SlaSchema = z.object({ minutes: Int, state: z.enum(["ok", "warning", "breached"]) });

export const QueueSchema = z.object({
  total: Int,
  breached: Int.openapi({
    description: "Waiting conversations past the SLA (all of them, not only this page).",
  }),
  sla_minutes: Int,
  items: z.array(z.object({
    conversation_id: z.uuid(),
    contact: z.object({ id: z.uuid(), name: z.string().nullable(), phone: z.string() }),
    priority: z.string(),
    tags: z.array(z.string()),
    config_id: z.uuid(),
    waiting_since: Timestamp,
    wait_seconds: Int,
    sla: SlaSchema,
    unread_count: Int,
    last_inbound_at: Timestamp.nullable(),
  })),
}).openapi("Queue");

export const ActiveSchema = z.object({
  total: Int,
  items: z.array(z.object({
    conversation_id: z.uuid(),
    contact: z.object({ id: z.uuid(), name: z.string().nullable(), phone: z.string() }),
    agent: z.object({ id: z.uuid(), name: z.string().nullable() }).nullable(),
    priority: z.string(),
    tags: z.array(z.string()),
    config_id: z.uuid(),
    active_since: Timestamp,
    duration_seconds: Int,
    last_message_at: Timestamp.nullable(),
    awaiting_reply: z.boolean().openapi({ description: "The customer wrote last." }),
    unread_count: Int,
  })),
}).openapi("ActiveConversations");

export const AgentsSchema = z.object({
  online: Int,
  total: Int,
  capacity_per_agent: Int,
  unassigned_open: Int,
  agents: z.array(z.object({
    user_id: z.uuid(),
    name: z.string(),
    email: z.string(),
    role: z.string(),
    online: z.boolean().openapi({ description: "Has a live WebSocket connection." }),
    active_conversations: Int,
    waiting_conversations: Int,
    capacity: Int,
    utilization: z.number().openapi({ description: "Open conversations / capacity." }),
    available: z.boolean().openapi({ description: "Online and below capacity." }),
  })),
}).openapi("DashboardAgents");

export const AlertSchema = z.object({
  id: z.string().openapi({ example: "sla_breach:0192f0c4-7a3e-7c41-9d2e-5b8f1a6c3e21" }),
  type: z.enum([
    "sla_breach",
    "number_disconnected",
    "number_quality",
    "failed_messages",
    "webhook_disabled",
  ]),
  severity: z.enum(["info", "warning", "critical"]),
  title: z.string(),
  detail: z.string(),
  resource: z.object({ type: z.string(), id: z.string(), href: z.string() }),
  since: Timestamp.nullable(),
}).openapi("DashboardAlert");

export const BucketSchema = z.object({
  start: Timestamp,
  end: Timestamp,
  label: z.string().openapi({ description: "The start on the tenant's wall clock.", example: "2026-11-26" }),
  value: z.number().nullable(),
});

export const WidgetSchema = z.object({
  id: z.uuid(),
  type: z.enum(["counter", "chart", "kpi", "table"]),
  metric: z.string().openapi({ example: "messages.inbound" }),
  title: z.string().nullable(),
  period: z.enum(["today", "week", "month"]),
  interval: z.enum(["hourly", "daily", "weekly"]).nullable(),
  position: z.object({ x: Int, y: Int, w: Int, h: Int }),
  settings: z.record(z.string(), z.unknown()),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("DashboardWidget");
