import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonContent } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { getTenant } from "../../src/tenants/manage-tenants.ts";
import { TAG, TenantSchema } from "./schemas.ts";

export const route = defineRoute({ permission: "read:tenant" }, {
  method: "get",
  path: "/api/v1/tenants/{id}",
  tags: [TAG],
  operationId: "getTenant",
  summary: "Get a tenant",
  description: "The platform admin reads any tenant; a tenant's users read their own (any other id is 404).",
  request: { params: IdParam },
  responses: { 200: jsonContent(TenantSchema, "The tenant, with its plan limits and usage.") },
});

export const registerGetTenant = (app: App) =>
  app.openapi(route, async (c) => {
    return c.json(
      unwrap(await getTenant(c.get("services"), c.get("principal")!, c.req.valid("param").id)),
      200,
    );
  });
