import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { changePassword } from "../../src/users/change-password.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ user: true }, {
  method: "post",
  path: "/api/v1/users/{id}/change-password",
  tags: [TAG],
  operationId: "changePassword",
  summary: "Change your own password",
  description:
    "Needs the current password. Every other session of yours ends; this one carries on. Other users reset theirs through the forgot-password mail.",
  request: {
    params: IdParam,
    body: jsonBody(z.object({
      current_password: z.string().min(1).max(256),
      new_password: z.string().min(8).max(256),
    })),
  },
  responses: { 200: jsonContent(z.object({ status: z.literal("password_changed") }), "Changed.") },
});

export const registerChangePassword = (app: App) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const res = unwrap(
      await changePassword(c.get("services"), requestMeta(c), c.get("principal")!, id, c.req.valid("json")),
    );
    return c.json(res, 200);
  });
