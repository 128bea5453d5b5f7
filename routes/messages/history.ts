import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gte, isNull, lte, type SQL, sql } from "drizzle-orm";
import { contacts, conversations, messages } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import {
  acceptedContent,
  IdParam,
  jsonContent,
  problemResponse,
  Timestamp,
} from "../../src/http/openapi-schemas.ts";
import { offsetOf, page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { ApiError, notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { pageAndTotal } from "../../src/platform/db/query-helpers.ts";
import { configById } from "../../src/whatsapp/inbound/apply-events.ts";
import { messageMatches } from "../../src/whatsapp/message-search.ts";
import { statusTimelineRead } from "../../src/whatsapp/message-status.ts";
import { allReads, readQuery, runReads } from "../../src/platform/db/reads.ts";
import { messageView } from "../../src/whatsapp/message-view.ts";
import { providerContext, providerFor } from "../../src/whatsapp/providers/registry.ts";
import type { OutboundContent } from "../../src/whatsapp/providers/provider.ts";
import { sendMessage } from "../../src/whatsapp/send-message.ts";
import { followQueued, MESSAGE_STATUS_PATH, MessageSchema, SendResponseSchema, TAG } from "./schemas.ts";

const DateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).openapi({
  example: "2024-01-01",
});

export const ListMessagesQuery = PageQuery.extend({
  conversation_id: z.uuid().optional(),
  contact_id: z.uuid().optional(),
  config_id: z.uuid().optional(),
  direction: z.enum(["inbound", "outbound"]).optional(),
  status: z.enum(["pending", "sent", "delivered", "read", "failed", "received"]).optional(),
  order: z.enum(["desc", "asc"]).default("desc").openapi({ description: "`desc`: newest first." }),
});

export const SearchMessagesQuery = PageQuery.extend({
  q: z.string().trim().min(2).max(200).openapi({
    description:
      "Words to find, each anywhere in the text and in any order, ignoring case and accents (`zebra orcamento` finds “Quero o orçamento da fibra zebra”).",
    example: "boleto",
  }),
  from: DateOrTime.optional().openapi({ description: "On or after (a date means its start, UTC)." }),
  to: DateOrTime.optional().openapi({ description: "On or before (a date means its end, UTC)." }),
  conversation_id: z.uuid().optional(),
  direction: z.enum(["inbound", "outbound"]).optional(),
});

const startOf = (d: string) => new Date(d.length === 10 ? `${d}T00:00:00.000Z` : d);
const endOf = (d: string) => new Date(d.length === 10 ? `${d}T23:59:59.999Z` : d);

export const listRoute = defineRoute({ permission: "read:messages" }, {
  method: "get",
  path: "/api/v1/whatsapp/messages",
  tags: [TAG],
  operationId: "listMessages",
  summary: "Message history",
  description: "A conversation's messages (or the tenant's, filtered), newest first unless `order=asc`.",
  request: { query: ListMessagesQuery },
  responses: { 200: jsonContent(pageOf(MessageSchema), "Messages.") },
});

export const searchRoute = defineRoute({ permission: "read:messages" }, {
  method: "get",
  path: "/api/v1/whatsapp/messages/search",
  tags: [TAG],
  operationId: "searchMessages",
  summary: "Search messages",
  description:
    "Messages whose text holds every word of `q`, in any order, case- and accent-insensitive, through a trigram index.",
  request: { query: SearchMessagesQuery },
  responses: { 200: jsonContent(pageOf(MessageSchema), "Matches, newest first.") },
});

export const statusRoute = defineRoute({ permission: "read:messages" }, {
  method: "get",
  path: "/api/v1/whatsapp/messages/{id}/status",
  tags: [TAG],
  operationId: "getMessageStatus",
  summary: "A message's status and its timeline",
  request: { params: IdParam },
  responses: {
    200: jsonContent(
      z.object({
        id: z.uuid(),
        status: MessageSchema.shape.status,
        provider_message_id: z.string().nullable(),
        error: MessageSchema.shape.error,
        sent_at: Timestamp.nullable(),
        delivered_at: Timestamp.nullable(),
        read_at: Timestamp.nullable(),
        failed_at: Timestamp.nullable(),
        timeline: z.array(z.object({
          status: z.string(),
          at: Timestamp,
          error: z.object({ code: z.string(), title: z.string().nullable() }).nullable(),
          detail: z.record(z.string(), z.unknown()).nullable(),
        })).openapi({
          description: "Every status the provider reported, in order, duplicates and late ones included.",
        }),
      }).openapi("MessageStatus"),
      "Status and timeline.",
    ),
  },
});

export const resendRoute = defineRoute({ permission: "write:messages" }, {
  method: "post",
  path: "/api/v1/whatsapp/messages/{id}/resend",
  tags: [TAG],
  operationId: "resendMessage",
  summary: "Send a failed message again",
  description:
    "A new attempt as a new message (`retry_of` names the failed one), never a duplicate: only failed outbound messages can be resent (409 otherwise). Accepts `Idempotency-Key`.",
  middleware: [idempotent],
  request: { params: IdParam },
  responses: {
    201: jsonContent(SendResponseSchema, "Sent."),
    202: acceptedContent(SendResponseSchema, "Queued after a transient failure.", MESSAGE_STATUS_PATH),
    409: problemResponse("Not a failed outbound message, or the window is closed."),
  },
});

export const readRoute = defineRoute({ permission: "write:messages" }, {
  method: "put",
  path: "/api/v1/whatsapp/messages/{id}/read",
  tags: [TAG],
  operationId: "markMessageRead",
  summary: "Mark a customer's message as read",
  description:
    "Sends the read receipt (blue ticks) to WhatsApp and marks it and the earlier messages of the conversation as read in the inbox.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(MessageSchema, "Read."),
    409: problemResponse("Not an inbound message."),
    502: problemResponse("The provider refused or could not be reached; nothing changed."),
  },
});

export const registerHistoryRoutes = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const filters: SQL[] = [eq(messages.tenantId, c.get("principal")!.tenantId!)];
    if (q.conversation_id) filters.push(eq(messages.conversationId, q.conversation_id));
    if (q.contact_id) filters.push(eq(messages.contactId, q.contact_id));
    if (q.config_id) filters.push(eq(messages.configId, q.config_id));
    if (q.direction) filters.push(eq(messages.direction, q.direction));
    if (q.status) filters.push(eq(messages.status, q.status));
    const where = and(...filters);
    const order = q.order === "asc"
      ? [asc(messages.timestamp), asc(messages.id)]
      : [desc(messages.timestamp), desc(messages.id)];
    const { rows, total } = await pageAndTotal(
      c.get("services").database,
      (db) => db.select().from(messages).where(where).orderBy(...order).limit(q.limit).offset(offsetOf(q)),
      messages,
      where,
    );
    return c.json(page(rows.map(messageView), q, total), 200);
  });

  app.openapi(searchRoute, async (c) => {
    const q = c.req.valid("query");
    const filters: SQL[] = [eq(messages.tenantId, c.get("principal")!.tenantId!), messageMatches(q.q)];
    if (q.from) filters.push(gte(messages.timestamp, startOf(q.from)));
    if (q.to) filters.push(lte(messages.timestamp, endOf(q.to)));
    if (q.conversation_id) filters.push(eq(messages.conversationId, q.conversation_id));
    if (q.direction) filters.push(eq(messages.direction, q.direction));
    const where = and(...filters);
    const { rows, total } = await pageAndTotal(
      c.get("services").database,
      (db) =>
        db.select().from(messages).where(where).orderBy(desc(messages.timestamp), desc(messages.id))
          .limit(q.limit).offset(offsetOf(q)),
      messages,
      where,
    );
    return c.json(page(rows.map(messageView), q, total), 200);
  });

  app.openapi(statusRoute, async (c) => {
    const s = c.get("services");
    const id = c.req.valid("param").id;
    const tenantId = c.get("principal")!.tenantId!;
    const { found: [m], timeline } = await runReads(
      s.database,
      allReads({
        found: readQuery((db) =>
          db.select().from(messages).where(and(eq(messages.id, id), eq(messages.tenantId, tenantId)))
        ),
        timeline: statusTimelineRead(tenantId, id),
      }),
    );
    if (!m) throw notFound("Message");
    const v = messageView(m);
    return c.json({
      id: v.id,
      status: v.status,
      provider_message_id: v.provider_message_id,
      error: v.error,
      sent_at: v.sent_at,
      delivered_at: v.delivered_at,
      read_at: v.read_at,
      failed_at: v.failed_at,
      timeline: timeline.map((e) => ({
        status: e.status,
        at: e.occurredAt.toISOString(),
        error: e.errorCode ? { code: e.errorCode, title: e.errorTitle } : null,
        detail: e.detail ?? null,
      })),
    }, 200);
  });

  app.openapi(resendRoute, async (c) => {
    const s = c.get("services");
    const p = c.get("principal")!;
    const [row] = await s.database.db.select({ message: messages, contact: contacts }).from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.contactId))
      .where(and(eq(messages.id, c.req.valid("param").id), eq(messages.tenantId, p.tenantId!)));
    if (!row) throw notFound("Message");
    if (row.message.direction !== "outbound" || row.message.status !== "failed") {
      throw new ApiError(
        "conflict",
        `Only failed outbound messages can be resent; this one is ${row.message.direction} and ${row.message.status}`,
      );
    }
    const result = unwrap(
      await sendMessage(s, p, {
        to: row.contact.phone,
        configId: row.message.configId,
        content: row.message.content as unknown as OutboundContent,
        retryOf: row.message.id,
      }),
    );
    followQueued(c, result);
    return c.json(result, result.outcome === "sent" ? 201 : 202);
  });

  app.openapi(readRoute, async (c) => {
    const s = c.get("services");
    const p = c.get("principal")!;
    const [row] = await s.database.db.select({ message: messages, contact: contacts }).from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.contactId))
      .where(and(eq(messages.id, c.req.valid("param").id), eq(messages.tenantId, p.tenantId!)));
    if (!row) throw notFound("Message");
    const m = row.message;
    if (m.direction !== "inbound") {
      throw new ApiError("conflict", "Only messages from the customer can be marked as read");
    }
    const config = await configById(s, m.configId);
    if (config && m.providerMessageId && !m.readAt) {
      const res = await providerFor(s, config).markRead(
        await providerContext(s, config),
        m.providerMessageId,
        row.contact.waId ?? row.contact.phone,
      );
      if (!res.ok) {
        throw new ApiError("bad_gateway", `WhatsApp did not take the read receipt: ${res.error.title}`);
      }
    }
    const now = s.clock.now();
    const { db } = s.database;
    await db.update(messages).set({ readAt: now }).where(and(
      eq(messages.conversationId, m.conversationId),
      eq(messages.direction, "inbound"),
      isNull(messages.readAt),
      lte(messages.timestamp, m.timestamp),
    ));
    await db.update(conversations).set({
      unreadCount:
        sql`(select count(*) from ${messages} where ${messages.conversationId} = ${m.conversationId} and ${messages.direction} = 'inbound' and ${messages.readAt} is null)`,
      updatedAt: now,
    }).where(eq(conversations.id, m.conversationId));
    const [fresh] = await db.select().from(messages).where(eq(messages.id, m.id));
    return c.json(messageView(fresh), 200);
  });
};
