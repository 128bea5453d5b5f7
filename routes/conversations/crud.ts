import { z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { messages } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { assignmentHistoryRead } from "../../src/conversations/assign-conversation.ts";
import { notesRead } from "../../src/conversations/conversation-notes.ts";
import { allReads, readQuery, runReads } from "../../src/platform/db/reads.ts";
import { conversationView } from "../../src/conversations/conversation-view.ts";
import {
  archiveConversation,
  conversationRead,
  createConversation,
  listConversations,
  parseStatuses,
  reopenConversation,
  updateConversation,
} from "../../src/conversations/manage-conversations.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { messageView } from "../../src/whatsapp/message-view.ts";
import { conversationStatuses } from "../../db/schema/index.ts";
import { ConversationDetailSchema, ConversationSchema, Priority, TAG, Tag, TagList } from "./schemas.ts";

/** Messages shown with a conversation; the rest is one paginated call away. */
const DETAIL_MESSAGES = 50;

export const ListConversationsQuery = PageQuery.extend({
  status: z.string().optional().refine((v) => v === undefined || parseStatuses(v) !== null, {
    message: `A comma-separated list of ${conversationStatuses.join(", ")}`,
  }).openapi({ description: "One status or several, comma-separated.", example: "active,waiting" }),
  assigned_to: z.union([z.uuid(), z.literal("me")]).optional().openapi({
    description: "An agent's id, or `me`.",
  }),
  unassigned: z.enum(["true", "false"]).optional().openapi({
    description: "`true`: only those with no agent.",
  }),
  tag: Tag.optional(),
  config_id: z.uuid().optional(),
  contact_id: z.uuid().optional(),
  priority: Priority.optional(),
  q: z.string().trim().min(2).max(100).optional().openapi({
    description:
      "Words of the contact's name, phone (any formatting) or email, every one in any order; case and accents ignored.",
    example: "joao",
  }),
  updated_since: z.iso.datetime({ offset: true }).optional().openapi({
    description: "Changed at or after this instant (for incremental sync).",
  }),
});

export const listRoute = defineRoute({ permission: "read:conversations" }, {
  method: "get",
  path: "/api/v1/conversations",
  tags: [TAG],
  operationId: "listConversations",
  summary: "The inbox",
  description: "Conversations of the tenant, newest activity first, with their contact and agent.",
  request: { query: ListConversationsQuery },
  responses: { 200: jsonContent(pageOf(ConversationSchema), "Conversations.") },
});

export const getRoute = defineRoute({ permission: "read:conversations" }, {
  method: "get",
  path: "/api/v1/conversations/{id}",
  tags: [TAG],
  operationId: "getConversation",
  summary: "A conversation with its latest messages, notes and assignment history",
  request: { params: IdParam },
  responses: { 200: jsonContent(ConversationDetailSchema, "The conversation.") },
});

export const CreateConversationBody = z.object({
  contact_phone: z.string().trim().min(8).max(32).openapi({ example: "+5511999999999" }),
  contact_name: z.string().trim().max(200).optional().openapi({ example: "João Silva" }),
  config_id: z.uuid().optional().openapi({ description: "The number to use; the default one when absent." }),
  priority: Priority.optional(),
  tags: TagList.optional(),
}).openapi("CreateConversation");

export const createRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations",
  tags: [TAG],
  operationId: "createConversation",
  summary: "Start a conversation with a customer",
  description:
    "Creates the contact if the phone is new (a name fills an unnamed contact). One open conversation per contact and number: 409 names the open one in `existing_id`. Sending a first message outside the 24-hour window needs a template.",
  request: { body: jsonBody(CreateConversationBody) },
  responses: {
    201: jsonContent(ConversationSchema, "Started."),
    409: problemResponse("The contact already has an open conversation on this number (`existing_id`)."),
  },
});

export const UpdateConversationBody = z.object({
  status: z.enum(conversationStatuses).optional(),
  tags: TagList.optional().openapi({ description: "Replaces the tags." }),
  priority: Priority.optional(),
}).strict().refine((b) => Object.keys(b).length > 0, { message: "Nothing to change" })
  .openapi("UpdateConversation", { example: { status: "resolved", tags: ["vip", "suporte"] } });

export const updateRoute = defineRoute({ permission: "write:conversations" }, {
  method: "put",
  path: "/api/v1/conversations/{id}",
  tags: [TAG],
  operationId: "updateConversation",
  summary: "Change status, tags or priority",
  description:
    "Status moves: active → waiting, resolved, archived; waiting → active, resolved, archived; resolved → active, archived; archived → active. Anything else is 409 `invalid_transition` with the `allowed` ones. Agents change only conversations assigned to them or to nobody.",
  request: { params: IdParam, body: jsonBody(UpdateConversationBody) },
  responses: {
    200: jsonContent(ConversationSchema, "Updated."),
    409: problemResponse("Not an allowed transition, or another open conversation exists."),
  },
});

export const archiveRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/archive",
  tags: [TAG],
  operationId: "archiveConversation",
  summary: "Archive a conversation",
  description: "Puts it away from the inbox; archiving an archived conversation changes nothing.",
  request: { params: IdParam },
  responses: { 200: jsonContent(ConversationSchema, "Archived.") },
});

export const reopenRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/reopen",
  tags: [TAG],
  operationId: "reopenConversation",
  summary: "Reopen a resolved or archived conversation",
  description:
    "An open conversation is answered as it is. 409 when the contact has another open one on the number.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(ConversationSchema, "Open."),
    409: problemResponse("Another conversation with this contact is open on the number (`existing_id`)."),
  },
});

export const registerConversationCrud = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const { data, total } = await listConversations(c.get("services"), c.get("principal")!, {
      ...q,
      status: q.status ? parseStatuses(q.status)! : undefined,
      unassigned: q.unassigned === "true",
    });
    return c.json(page(data, q, total), 200);
  });
  app.openapi(getRoute, async (c) => {
    const s = c.get("services");
    const p = c.get("principal")!;
    const id = c.req.valid("param").id;
    // The conversation and everything shown with it in one batch; the parts are scoped to the
    // caller's tenant like the conversation itself, so nothing shows when it is not theirs.
    const { found, latest, notes, assignments } = await runReads(
      s.database,
      allReads({
        found: conversationRead(p, id),
        latest: readQuery((db) =>
          db.select().from(messages)
            .where(and(eq(messages.conversationId, id), eq(messages.tenantId, p.tenantId!)))
            .orderBy(desc(messages.timestamp), desc(messages.id)).limit(DETAIL_MESSAGES)
        ),
        notes: notesRead(id),
        assignments: assignmentHistoryRead(id),
      }),
    );
    if (!found) throw notFound("Conversation");
    return c.json({
      ...conversationView(found, s.clock.now()),
      messages: latest.reverse().map(messageView),
      notes,
      assignments,
    }, 200);
  });
  app.openapi(createRoute, async (c) => {
    const view = unwrap(
      await createConversation(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 201);
  });
  app.openapi(updateRoute, async (c) => {
    const view = unwrap(
      await updateConversation(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(archiveRoute, async (c) => {
    const view = unwrap(
      await archiveConversation(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(reopenRoute, async (c) => {
    const view = unwrap(
      await reopenConversation(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
      ),
    );
    return c.json(view, 200);
  });
};
