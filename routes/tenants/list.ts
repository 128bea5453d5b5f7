import { z } from "@hono/zod-openapi";
import { planCodes, tenantStatuses } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { listTenants } from "../../src/tenants/manage-tenants.ts";
import { TAG, TenantSchema } from "./schemas.ts";

export const ListTenantsQuery = PageQuery.extend({
  status: z.enum(tenantStatuses).optional().openapi({ description: "Default: every tenant not deleted." }),
  plan: z.enum(planCodes).optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({
    description: "Part of the name, slug or domain.",
  }),
});

export const route = defineRoute({ permission: "read:tenants" }, {
  method: "get",
  path: "/api/v1/tenants",
  tags: [TAG],
  operationId: "listTenants",
  summary: "List tenants (platform admin)",
  request: { query: ListTenantsQuery },
  responses: { 200: jsonContent(pageOf(TenantSchema), "Tenants, newest first.") },
});

export const registerListTenants = (app: App) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const { rows, total } = await listTenants(c.get("services"), q);
    return c.json(page(rows, q, total), 200);
  });
