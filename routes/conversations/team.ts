import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { assignConversation } from "../../src/conversations/assign-conversation.ts";
import { addNote } from "../../src/conversations/conversation-notes.ts";
import { addConversationTags } from "../../src/conversations/manage-conversations.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { ConversationSchema, NoteSchema, TAG, TagList } from "./schemas.ts";

export const AssignBody = z.object({
  agent_id: z.uuid().nullable().openapi({
    description: "The agent to give it to; `null` sends it back to the queue (`waiting`).",
  }),
}).openapi("AssignConversation");

export const assignRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/assign",
  tags: [TAG],
  operationId: "assignConversation",
  summary: "Assign an agent",
  description:
    "The agent must be an active user of the tenant whose role answers conversations. Agents may take an unassigned conversation for themselves; assigning anyone else, or taking one from another agent, needs `assign:conversations`. A waiting conversation becomes active when assigned. The change is kept in the assignment history.",
  request: { params: IdParam, body: jsonBody(AssignBody) },
  responses: {
    200: jsonContent(ConversationSchema, "Assigned."),
    409: problemResponse("It was assigned by someone else meanwhile."),
  },
});

export const TransferBody = z.object({
  to_agent_id: z.uuid(),
  reason: z.string().trim().max(500).optional().openapi({ example: "Especialista técnico" }),
}).openapi("TransferConversation");

export const transferRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/transfer",
  tags: [TAG],
  operationId: "transferConversation",
  summary: "Transfer to another agent",
  description:
    "The agent holding the conversation (or anyone with `assign:conversations`) hands it to another agent, with a reason kept in the history.",
  request: { params: IdParam, body: jsonBody(TransferBody) },
  responses: {
    200: jsonContent(ConversationSchema, "Transferred."),
    409: problemResponse("Already with that agent, or assigned by someone else meanwhile."),
  },
});

export const tagsRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/tags",
  tags: [TAG],
  operationId: "tagConversation",
  summary: "Add tags",
  description: "Adds to the tags it has; a tag already there is not repeated.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({ tags: TagList.min(1) }).openapi("AddConversationTags", {
        example: { tags: ["urgente", "financeiro"] },
      }),
    ),
  },
  responses: { 200: jsonContent(ConversationSchema, "Tagged.") },
});

export const notesRoute = defineRoute({ permission: "write:conversations" }, {
  method: "post",
  path: "/api/v1/conversations/{id}/notes",
  tags: [TAG],
  operationId: "addConversationNote",
  summary: "Add an internal note",
  description: "Seen by the team only, never sent to the customer; the author and time are kept.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({ note: z.string().trim().min(1).max(5000) }).openapi("AddConversationNote", {
        example: { note: "Cliente solicitou desconto" },
      }),
    ),
  },
  responses: { 201: jsonContent(NoteSchema, "Added.") },
});

export const registerConversationTeamRoutes = (app: App) => {
  app.openapi(assignRoute, async (c) => {
    const view = unwrap(
      await assignConversation(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        {
          kind: "assign",
          agentId: c.req.valid("json").agent_id,
        },
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(transferRoute, async (c) => {
    const body = c.req.valid("json");
    const view = unwrap(
      await assignConversation(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        {
          kind: "transfer",
          agentId: body.to_agent_id,
          reason: body.reason,
        },
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(tagsRoute, async (c) => {
    const view = unwrap(
      await addConversationTags(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json").tags,
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(notesRoute, async (c) => {
    const note = unwrap(
      await addNote(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json").note,
      ),
    );
    return c.json(note, 201);
  });
};
