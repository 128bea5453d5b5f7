import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { verifyEmail } from "../../src/auth/verify-email.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/verify-email",
  tags: [TAG],
  operationId: "verifyEmail",
  summary: "Confirm an email address",
  description: "With the single-use token of the verification mail.",
  middleware: [authRateLimit],
  request: { body: jsonBody(z.object({ token: z.string().min(1).max(200) })) },
  responses: {
    200: jsonContent(z.object({ email_verified: z.literal(true), email: z.string() }), "Verified."),
    400: problemResponse("Invalid, expired or used token."),
  },
});

export const registerVerifyEmail = (app: App) =>
  app.openapi(route, async (c) => {
    return c.json(
      unwrap(await verifyEmail(c.get("services"), requestMeta(c), c.req.valid("json").token)),
      200,
    );
  });
