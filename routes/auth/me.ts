import { eq } from "drizzle-orm";
import type { App } from "../../src/app.ts";
import { tenants, users } from "../../db/schema/index.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { notFound } from "../../src/http/problem.ts";
import { userView } from "../../src/users/user-view.ts";
import { TAG, UserSchema } from "./schemas.ts";

export const route = defineRoute({ user: true }, {
  method: "get",
  path: "/api/v1/auth/me",
  tags: [TAG],
  operationId: "getMe",
  summary: "The signed-in user",
  description: "The caller's profile, role, effective permissions and tenant.",
  responses: { 200: jsonContent(UserSchema, "The caller.") },
});

export const registerMe = (app: App) =>
  app.openapi(route, async (c) => {
    const p = c.get("principal");
    const userId = p?.kind === "user" ? p.userId : "";
    const [row] = await c.get("services").database.db.select({ user: users, tenant: tenants }).from(users)
      .leftJoin(tenants, eq(tenants.id, users.tenantId)).where(eq(users.id, userId));
    if (!row) throw notFound("User");
    return c.json(userView(row.user, row.tenant), 200);
  });
