import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { resetPassword } from "../../src/auth/password-reset.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/reset-password",
  tags: [TAG],
  operationId: "resetPassword",
  summary: "Set a new password with a reset or invitation token",
  description:
    "The token comes from the reset mail (valid one hour) or the invitation mail (valid 7 days) and works once. Every session of the user ends.",
  middleware: [authRateLimit],
  request: {
    body: jsonBody(z.object({
      token: z.string().min(1).max(200),
      new_password: z.string().min(8).max(256).openapi({ example: "Nova-senha-2" }),
    })),
  },
  responses: {
    200: jsonContent(z.object({ status: z.literal("password_set") }), "Password set; sign in with it."),
    400: problemResponse("Invalid, expired or used token."),
  },
});

export const registerResetPassword = (app: App) =>
  app.openapi(route, async (c) => {
    return c.json(unwrap(await resetPassword(c.get("services"), requestMeta(c), c.req.valid("json"))), 200);
  });
