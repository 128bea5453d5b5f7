import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import {
  deleteTenant,
  reactivateTenant,
  suspendTenant,
  upgradeTenant,
} from "../../src/tenants/manage-tenants.ts";
import { Plan, TAG, TenantSchema } from "./schemas.ts";

export const upgradeRoute = defineRoute({ permission: "write:tenants" }, {
  method: "post",
  path: "/api/v1/tenants/{id}/upgrade",
  tags: [TAG],
  operationId: "upgradeTenant",
  summary: "Move a tenant to a higher plan (platform admin)",
  description: "Plans go `starter` < `growth` < `enterprise`; the same or a lower plan is refused (409).",
  request: { params: IdParam, body: jsonBody(z.object({ plan: Plan })) },
  responses: {
    200: jsonContent(TenantSchema, "Upgraded; the new limits apply at once."),
    409: problemResponse("Not an upgrade."),
  },
});

export const suspendRoute = defineRoute({ permission: "write:tenants" }, {
  method: "post",
  path: "/api/v1/tenants/{id}/suspend",
  tags: [TAG],
  operationId: "suspendTenant",
  summary: "Suspend a tenant (platform admin)",
  description:
    "Every token and API key of the tenant answers 403 `tenant_suspended` from the next request on. Inbound webhooks are still stored, so nothing is lost while it is suspended.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({ reason: z.string().trim().min(3).max(500).openapi({ example: "Pagamento pendente" }) }),
    ),
  },
  responses: {
    200: jsonContent(TenantSchema, "Suspended."),
    409: problemResponse("The tenant is not active."),
  },
});

export const reactivateRoute = defineRoute({ permission: "write:tenants" }, {
  method: "post",
  path: "/api/v1/tenants/{id}/reactivate",
  tags: [TAG],
  operationId: "reactivateTenant",
  summary: "Reactivate a suspended tenant (platform admin)",
  request: { params: IdParam },
  responses: {
    200: jsonContent(TenantSchema, "Active again."),
    409: problemResponse("The tenant is not suspended."),
  },
});

export const deleteRoute = defineRoute({ permission: "write:tenants" }, {
  method: "delete",
  path: "/api/v1/tenants/{id}",
  tags: [TAG],
  operationId: "deleteTenant",
  summary: "Delete a tenant (platform admin)",
  description:
    "Soft delete: every credential of the tenant stops at once; its data is erased by a background job 30 days later (`purge_after`).",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted; purge scheduled." } },
});

export const registerTenantLifecycle = (app: App) => {
  app.openapi(upgradeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = unwrap(
      await upgradeTenant(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        id,
        c.req.valid("json").plan,
      ),
    );
    return c.json(tenant, 200);
  });
  app.openapi(suspendRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = unwrap(
      await suspendTenant(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        id,
        c.req.valid("json").reason,
      ),
    );
    return c.json(tenant, 200);
  });
  app.openapi(reactivateRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(
      unwrap(await reactivateTenant(c.get("services"), requestMeta(c), c.get("principal")!, id)),
      200,
    );
  });
  app.openapi(deleteRoute, async (c) => {
    unwrap(
      await deleteTenant(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.body(null, 204);
  });
};
