import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import {
  createConfig,
  deleteConfig,
  findConfig,
  listConfigs,
  updateConfig,
  viewOf,
} from "../../src/whatsapp/configs/manage-configs.ts";
import { ConfigSchema, CreateConfigBody, TAG, UpdateConfigBody } from "./schemas.ts";

export const listRoute = defineRoute({ permission: "read:whatsapp" }, {
  method: "get",
  path: "/api/v1/whatsapp-configs",
  tags: [TAG],
  operationId: "listWhatsAppNumbers",
  summary: "List the tenant's WhatsApp numbers",
  request: {
    query: PageQuery.extend({
      status: z.enum(["active", "inactive"]).optional(),
      api_type: z.enum(["official", "evolution", "sandbox"]).optional(),
    }),
  },
  responses: { 200: jsonContent(pageOf(ConfigSchema), "Numbers, the default first.") },
});

export const createRoute = defineRoute({ permission: "write:whatsapp" }, {
  method: "post",
  path: "/api/v1/whatsapp-configs",
  tags: [TAG],
  operationId: "createWhatsAppNumber",
  summary: "Add a WhatsApp number",
  description:
    "`official`: Meta Cloud API (phone number id, access token, app secret, verify token). `evolution`: an Evolution API instance (its webhook is pointed here automatically). `sandbox`: no outside system; sends succeed and receipts arrive seconds later, for development and demos. Credentials are encrypted and only ever shown masked. Counts against the plan's number limit.",
  request: { body: jsonBody(CreateConfigBody) },
  responses: {
    201: jsonContent(
      ConfigSchema.extend({
        verify_token: z.string().optional().openapi({
          description: "The generated verify token, shown this once.",
        }),
      }),
      "Added.",
    ),
    409: problemResponse("The number, phone number id or instance is already connected."),
    429: problemResponse("Rate limited, or the plan's number limit is reached (`quota_exceeded`)."),
  },
});

export const getRoute = defineRoute({ permission: "read:whatsapp" }, {
  method: "get",
  path: "/api/v1/whatsapp-configs/{id}",
  tags: [TAG],
  operationId: "getWhatsAppNumber",
  summary: "Get a WhatsApp number",
  request: { params: IdParam },
  responses: { 200: jsonContent(ConfigSchema, "The number.") },
});

export const updateRoute = defineRoute({ permission: "write:whatsapp" }, {
  method: "put",
  path: "/api/v1/whatsapp-configs/{id}",
  tags: [TAG],
  operationId: "updateWhatsAppNumber",
  summary: "Update a WhatsApp number",
  description: "Name, activity, default, throughput and the credentials of its type (replaced when given).",
  request: { params: IdParam, body: jsonBody(UpdateConfigBody) },
  responses: { 200: jsonContent(ConfigSchema, "Updated.") },
});

export const deleteRoute = defineRoute({ permission: "write:whatsapp" }, {
  method: "delete",
  path: "/api/v1/whatsapp-configs/{id}",
  tags: [TAG],
  operationId: "deleteWhatsAppNumber",
  summary: "Remove a WhatsApp number",
  description: "Soft delete: it stops sending and receiving; its conversations and messages stay.",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." } },
});

export const registerConfigCrud = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const { rows, total } = await listConfigs(c.get("services"), c.get("principal")!, q);
    return c.json(page(rows, q, total), 200);
  });
  app.openapi(createRoute, async (c) => {
    const view = unwrap(
      await createConfig(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 201);
  });
  app.openapi(getRoute, async (c) => {
    const s = c.get("services");
    const config = await findConfig(s, c.get("principal")!, c.req.valid("param").id);
    if (!config) throw notFound("WhatsApp number");
    return c.json(await viewOf(s, config), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const view = unwrap(
      await updateConfig(c.get("services"), requestMeta(c), c.get("principal")!, id, c.req.valid("json")),
    );
    return c.json(view, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    unwrap(
      await deleteConfig(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.body(null, 204);
  });
};
