import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { createTenant } from "../../src/tenants/manage-tenants.ts";
import { Email } from "../auth/schemas.ts";
import { Domain, Plan, TAG, TenantSchema, TenantSettingsSchema } from "./schemas.ts";

export const CreateTenantBody = z.object({
  name: z.string().trim().min(2).max(120).openapi({ example: "Empresa ABC" }),
  domain: Domain.optional(),
  plan: Plan.optional().openapi({ description: "Default `starter`." }),
  settings: TenantSettingsSchema.optional(),
  owner: z.object({ email: Email, name: z.string().trim().min(1).max(120) }).optional().openapi({
    description: "Invites the tenant's first owner by mail.",
  }),
});

export const route = defineRoute({ permission: "write:tenants" }, {
  method: "post",
  path: "/api/v1/tenants",
  tags: [TAG],
  operationId: "createTenant",
  summary: "Create a tenant (platform admin)",
  request: { body: jsonBody(CreateTenantBody) },
  responses: {
    201: jsonContent(TenantSchema, "Created."),
    409: problemResponse("The domain, or the owner's email, is taken."),
  },
});

export const registerCreateTenant = (app: App) =>
  app.openapi(route, async (c) => {
    const tenant = unwrap(
      await createTenant(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(tenant, 201);
  });
