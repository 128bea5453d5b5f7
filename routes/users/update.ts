import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { updateUser } from "../../src/users/manage-users.ts";
import { UserSchema } from "../auth/schemas.ts";
import { Role, TAG } from "./schemas.ts";

export const UpdateUserBody = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  role: Role.optional(),
  status: z.enum(["active", "disabled"]).optional().openapi({
    description: "`disabled` ends the user's sessions and API keys at once.",
  }),
}).refine((b) => Object.keys(b).length > 0, "Send at least one field to change");

export const route = defineRoute({ permission: "write:users" }, {
  method: "put",
  path: "/api/v1/users/{id}",
  tags: [TAG],
  operationId: "updateUser",
  summary: "Update a user's name, role or status",
  description:
    "Role changes take effect on the user's next request. You cannot change your own role, disable yourself, or leave the tenant without an active owner (409).",
  request: { params: IdParam, body: jsonBody(UpdateUserBody) },
  responses: {
    200: jsonContent(UserSchema, "Updated."),
    409: problemResponse("The change would leave no active owner."),
  },
});

export const registerUpdateUser = (app: App) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const user = unwrap(
      await updateUser(c.get("services"), requestMeta(c), c.get("principal")!, id, c.req.valid("json")),
    );
    return c.json(user, 200);
  });
