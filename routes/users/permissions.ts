import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { findUser } from "../../src/users/manage-users.ts";
import { permissionsView, setUserPermissions } from "../../src/users/user-permissions.ts";
import { Permission, PermissionsSchema, TAG } from "./schemas.ts";

export const getRoute = defineRoute({ permission: "read:users" }, {
  method: "get",
  path: "/api/v1/users/{id}/permissions",
  tags: [TAG],
  operationId: "getUserPermissions",
  summary: "A user's role permissions, grants and effective permissions",
  request: { params: IdParam },
  responses: { 200: jsonContent(PermissionsSchema, "Permissions.") },
});

export const putRoute = defineRoute({ permission: "write:users" }, {
  method: "put",
  path: "/api/v1/users/{id}/permissions",
  tags: [TAG],
  operationId: "setUserPermissions",
  summary: "Replace a user's grants",
  description:
    "The grants on top of the user's role. You may grant only permissions you hold yourself (403 naming the others), and not to yourself.",
  request: {
    params: IdParam,
    body: jsonBody(z.object({ permissions: z.array(Permission).max(64) })),
  },
  responses: { 200: jsonContent(PermissionsSchema, "The new permissions.") },
});

export const registerUserPermissions = (app: App) => {
  app.openapi(getRoute, async (c) => {
    const row = await findUser(c.get("services"), c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("User");
    return c.json(permissionsView(row.user.role, row.user.permissions), 200);
  });
  app.openapi(putRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { permissions } = c.req.valid("json");
    const view = unwrap(
      await setUserPermissions(c.get("services"), requestMeta(c), c.get("principal")!, id, permissions),
    );
    return c.json(view, 200);
  });
};
