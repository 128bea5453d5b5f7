import { z } from "@hono/zod-openapi";
import { and, asc, eq, ilike, or, type SQL } from "drizzle-orm";
import { tenants, userRoles, users } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { containsPattern, pageAndTotal } from "../../src/platform/db/query-helpers.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { offsetOf, page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { usersOf } from "../../src/users/tenant-scope.ts";
import { userView } from "../../src/users/user-view.ts";
import { UserSchema } from "../auth/schemas.ts";
import { TAG } from "./schemas.ts";

export const ListUsersQuery = PageQuery.extend({
  role: z.enum(userRoles).optional(),
  status: z.enum(["active", "invited", "disabled"]).optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of the name or email." }),
});

export const route = defineRoute({ permission: "read:users" }, {
  method: "get",
  path: "/api/v1/users",
  tags: [TAG],
  operationId: "listUsers",
  summary: "List the tenant's users",
  request: { query: ListUsersQuery },
  responses: { 200: jsonContent(pageOf(UserSchema), "Users, by name.") },
});

export const registerListUsers = (app: App) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const filters: SQL[] = [usersOf(c.get("principal")!)];
    if (q.role) filters.push(eq(users.role, q.role));
    if (q.status) filters.push(eq(users.status, q.status));
    if (q.q) {
      const like = containsPattern(q.q);
      filters.push(or(ilike(users.name, like), ilike(users.email, like))!);
    }
    const where = and(...filters);
    const { rows, total } = await pageAndTotal(
      c.get("services").database,
      (db) =>
        db.select({ user: users, tenant: tenants }).from(users).leftJoin(
          tenants,
          eq(tenants.id, users.tenantId),
        )
          .where(where).orderBy(asc(users.name), asc(users.id)).limit(q.limit).offset(offsetOf(q)),
      users,
      where,
    );
    return c.json(page(rows.map((r) => userView(r.user, r.tenant)), q, total), 200);
  });
