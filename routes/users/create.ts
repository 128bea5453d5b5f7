import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { createUser } from "../../src/users/manage-users.ts";
import { Email, UserSchema } from "../auth/schemas.ts";
import { Permission, Role, TAG } from "./schemas.ts";

export const CreateUserBody = z.object({
  email: Email,
  name: z.string().trim().min(1).max(120).openapi({ example: "Novo Usuário" }),
  role: Role,
  permissions: z.array(Permission).max(64).optional().openapi({
    description: "Grants on top of the role; only permissions you hold.",
  }),
});

export const route = defineRoute({ permission: "write:users" }, {
  method: "post",
  path: "/api/v1/users",
  tags: [TAG],
  operationId: "createUser",
  summary: "Invite a user",
  description:
    "Creates the user as `invited` and mails an invitation link (valid 7 days) to choose a password. Owners may create any tenant role; others only roles below their own. Counts against the plan's user limit (`quota_exceeded`).",
  request: { body: jsonBody(CreateUserBody) },
  responses: {
    201: jsonContent(UserSchema, "Invited."),
    409: problemResponse("A user with this email exists."),
    429: problemResponse("Rate limited, or the plan's user limit is reached (`quota_exceeded`)."),
  },
});

export const registerCreateUser = (app: App) =>
  app.openapi(route, async (c) => {
    const user = unwrap(
      await createUser(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(user, 201);
  });
