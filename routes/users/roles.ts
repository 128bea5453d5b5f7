import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { roleDescriptions, rolePermissions, roles } from "../../src/auth/permissions.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { canAssign } from "../../src/users/user-rank.ts";
import { Permission, Role, TAG } from "./schemas.ts";

export const RoleSchema = z.object({
  role: Role,
  description: z.string(),
  permissions: z.array(Permission),
  assignable: z.boolean().openapi({ description: "Whether you may give this role to someone." }),
}).openapi("Role");

export const route = defineRoute({ permission: "read:users" }, {
  method: "get",
  path: "/api/v1/roles",
  tags: [TAG],
  operationId: "listRoles",
  summary: "Roles and their permissions",
  responses: { 200: jsonContent(z.object({ data: z.array(RoleSchema) }), "Every role the caller can see.") },
});

export const registerListRoles = (app: App) =>
  app.openapi(route, (c) => {
    const p = c.get("principal")!;
    const role = p.kind === "scrape" ? "viewer" : p.role;
    const visible = roles.filter((r) => r !== "super_admin" || role === "super_admin");
    return c.json({
      data: visible.map((r) => ({
        role: r,
        description: roleDescriptions[r],
        permissions: [...rolePermissions[r]].sort(),
        assignable: canAssign(role, r) && (r !== "super_admin" || p.tenantId === null),
      })),
    }, 200);
  });
