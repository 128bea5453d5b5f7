import { z } from "@hono/zod-openapi";
import { aiPromptPurposes } from "../../db/schema/index.ts";
import { intents } from "../../src/ai/offline/intents.ts";
import {
  createPrompt,
  deletePrompt,
  listPrompts,
  PROMPT_VARIABLES,
  updatePrompt,
} from "../../src/ai/prompts.ts";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import {
  IdParam,
  jsonBody,
  jsonContent,
  problemResponse,
  Timestamp,
} from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG, tenantOf } from "./schemas.ts";

const VARIABLES_DOC = Object.entries(PROMPT_VARIABLES).map(([k, v]) => `\`{{${k}}}\`: ${v}`).join(" ");

export const PromptSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  purpose: z.enum(aiPromptPurposes),
  intent: z.string().nullable(),
  content: z.string(),
  description: z.string().nullable(),
  variables: z.array(z.string()),
  is_active: z.boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("AiPrompt");

const fields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "Resposta segunda via" }),
  purpose: z.enum(aiPromptPurposes).openapi({
    description:
      "`chat`: the assistant's instructions; `suggest`: with an `intent`, the tenant's canned answer to it, without one, instructions for suggestions; `summarize`, `template`: instructions for those.",
    example: "suggest",
  }),
  content: z.string().min(1).max(8000).openapi({
    description: `The text, with variables from this list only: ${VARIABLES_DOC}`,
    example: "Olá {{contact.first_name}}! Já gero a segunda via do seu plano {{erp.customer.plan}}.",
  }),
  intent: z.enum(intents).nullable().optional().openapi({
    description: "suggest prompts only.",
    example: "segunda_via",
  }),
  description: z.string().trim().max(500).nullable().optional(),
  is_active: z.boolean().optional(),
};

export const listPromptsRoute = defineRoute({ permission: "use:ai" }, {
  method: "get",
  path: "/api/v1/ai/prompts",
  tags: [TAG],
  operationId: "listAiPrompts",
  summary: "List the tenant's prompts",
  request: { query: PageQuery.extend({ purpose: z.enum(aiPromptPurposes).optional() }) },
  responses: { 200: jsonContent(pageOf(PromptSchema), "Prompts, newest first.") },
});

export const createPromptRoute = defineRoute({ permission: "write:ai" }, {
  method: "post",
  path: "/api/v1/ai/prompts",
  tags: [TAG],
  operationId: "createAiPrompt",
  summary: "Add a prompt",
  request: { body: jsonBody(z.object(fields).openapi("CreateAiPrompt")) },
  responses: {
    201: jsonContent(PromptSchema, "Added."),
    409: problemResponse("A prompt of that name exists."),
  },
});

export const updatePromptRoute = defineRoute({ permission: "write:ai" }, {
  method: "put",
  path: "/api/v1/ai/prompts/{id}",
  tags: [TAG],
  operationId: "updateAiPrompt",
  summary: "Change a prompt",
  description: "Fields left out stay.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({
        name: fields.name.optional(),
        purpose: fields.purpose.optional(),
        content: fields.content.optional(),
        intent: fields.intent,
        description: fields.description,
        is_active: fields.is_active.openapi({ example: true }),
      }).refine((b) => Object.keys(b).length > 0, { message: "Nothing to change" }).openapi("UpdateAiPrompt"),
    ),
  },
  responses: {
    200: jsonContent(PromptSchema, "Changed."),
    409: problemResponse("A prompt of that name exists."),
  },
});

export const deletePromptRoute = defineRoute({ permission: "write:ai" }, {
  method: "delete",
  path: "/api/v1/ai/prompts/{id}",
  tags: [TAG],
  operationId: "deleteAiPrompt",
  summary: "Remove a prompt",
  description: "Hard delete; the audit log keeps the entry.",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." } },
});

export const registerPromptRoutes = (app: App) => {
  app.openapi(listPromptsRoute, async (c) => {
    tenantOf(c);
    const q = c.req.valid("query");
    const { data, total } = await listPrompts(c.get("services"), c.get("principal")!, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(createPromptRoute, async (c) => {
    tenantOf(c);
    const view = unwrap(
      await createPrompt(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 201);
  });
  app.openapi(updatePromptRoute, async (c) => {
    tenantOf(c);
    const view = unwrap(
      await updatePrompt(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(deletePromptRoute, async (c) => {
    tenantOf(c);
    unwrap(
      await deletePrompt(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.body(null, 204);
  });
};
