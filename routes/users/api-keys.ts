import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../../src/api-keys/api-keys.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, Timestamp } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { ApiKeySchema, Permission, TAG } from "./schemas.ts";

export const listRoute = defineRoute({ permission: "read:api_keys" }, {
  method: "get",
  path: "/api/v1/api-keys",
  tags: [TAG],
  operationId: "listApiKeys",
  summary: "List the tenant's API keys",
  description: "Never shows a key itself, only its prefix.",
  request: { query: PageQuery },
  responses: { 200: jsonContent(pageOf(ApiKeySchema), "Keys, newest first.") },
});

export const createRoute = defineRoute({ permission: "write:api_keys" }, {
  method: "post",
  path: "/api/v1/api-keys",
  tags: [TAG],
  operationId: "createApiKey",
  summary: "Create an API key",
  description:
    "For machine clients: `Authorization: Bearer pk_…`. The key is in this answer only; we keep a hash. It carries the permissions asked for (all of yours by default, never more), and dies with your account.",
  request: {
    body: jsonBody(z.object({
      name: z.string().trim().min(1).max(100).openapi({ example: "ERP integration" }),
      permissions: z.array(Permission).max(64).optional(),
      expires_at: Timestamp.pipe(z.iso.datetime({ offset: true })).optional(),
    })),
  },
  responses: {
    201: jsonContent(
      ApiKeySchema.extend({ key: z.string().openapi({ description: "Shown once." }) }).openapi("NewApiKey"),
      "Created.",
    ),
  },
});

export const deleteRoute = defineRoute({ permission: "write:api_keys" }, {
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  tags: [TAG],
  operationId: "deleteApiKey",
  summary: "Revoke an API key",
  description: "The next request made with it is refused.",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked." } },
});

export const registerApiKeys = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const { rows, total } = await listApiKeys(c.get("services"), c.get("principal")!, q);
    return c.json(page(rows, q, total), 200);
  });
  app.openapi(createRoute, async (c) => {
    const created = unwrap(
      await createApiKey(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(created, 201);
  });
  app.openapi(deleteRoute, async (c) => {
    unwrap(
      await revokeApiKey(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.body(null, 204);
  });
};
