import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { requestPasswordReset } from "../../src/auth/password-reset.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { Email, TAG } from "./schemas.ts";

export const Accepted = z.object({
  status: z.literal("accepted"),
  message: z.string(),
}).openapi("Accepted");

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/forgot-password",
  tags: [TAG],
  operationId: "forgotPassword",
  summary: "Mail a password reset link",
  description:
    "Always 202, whether or not the email has an account. When it does, a single-use link valid for one hour is mailed. The one 202 without a `Location`: there is nothing to follow on purpose, as the answer must not tell whether the email has an account.",
  middleware: [authRateLimit],
  request: { body: jsonBody(z.object({ email: Email })) },
  responses: { 202: jsonContent(Accepted, "Accepted.") },
});

export const registerForgotPassword = (app: App) =>
  app.openapi(route, async (c) => {
    await requestPasswordReset(c.get("services"), requestMeta(c), c.req.valid("json").email);
    return c.json({
      status: "accepted" as const,
      message: "If this email has an account, a reset link is on its way.",
    }, 202);
  });
