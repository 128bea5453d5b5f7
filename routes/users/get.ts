import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonContent } from "../../src/http/openapi-schemas.ts";
import { notFound } from "../../src/http/problem.ts";
import { findUser } from "../../src/users/manage-users.ts";
import { userView } from "../../src/users/user-view.ts";
import { UserSchema } from "../auth/schemas.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ permission: "read:users" }, {
  method: "get",
  path: "/api/v1/users/{id}",
  tags: [TAG],
  operationId: "getUser",
  summary: "Get a user",
  request: { params: IdParam },
  responses: { 200: jsonContent(UserSchema, "The user.") },
});

export const registerGetUser = (app: App) =>
  app.openapi(route, async (c) => {
    const row = await findUser(c.get("services"), c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("User");
    return c.json(userView(row.user, row.tenant), 200);
  });
