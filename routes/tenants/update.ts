import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { updateTenant } from "../../src/tenants/manage-tenants.ts";
import { Domain, TAG, TenantSchema, TenantSettingsSchema } from "./schemas.ts";

export const UpdateTenantBody = z.object({
  name: z.string().trim().min(2).max(120).optional(),
  domain: Domain.nullable().optional().openapi({ description: "Platform admin only." }),
  settings: TenantSettingsSchema.optional().openapi({ description: "Merged into the current settings." }),
}).refine((b) => Object.keys(b).length > 0, "Send at least one field to change");

export const route = defineRoute({ permission: "write:tenant" }, {
  method: "put",
  path: "/api/v1/tenants/{id}",
  tags: [TAG],
  operationId: "updateTenant",
  summary: "Update a tenant's name, domain or settings",
  description:
    "An owner updates their own tenant's name and settings; the platform admin any tenant, domain included.",
  request: { params: IdParam, body: jsonBody(UpdateTenantBody) },
  responses: { 200: jsonContent(TenantSchema, "Updated.") },
});

export const registerUpdateTenant = (app: App) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = unwrap(
      await updateTenant(c.get("services"), requestMeta(c), c.get("principal")!, id, c.req.valid("json")),
    );
    return c.json(tenant, 200);
  });
