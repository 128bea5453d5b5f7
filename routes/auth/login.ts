import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { App } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { login } from "../../src/auth/login.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { holdAfterAnswer } from "../../src/http/background.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { Email, SessionSchema, TAG } from "./schemas.ts";

export const LoginBody = z.object({
  email: Email,
  password: z.string().min(1).max(256).openapi({ example: "Senha-forte-1" }),
});

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/login",
  tags: [TAG],
  operationId: "login",
  summary: "Sign in with email and password",
  description:
    "Returns a 15-minute access token, a single-use refresh token and the user. Five failures for one email lock it for 15 minutes (423); the answer never tells whether the email has an account. Rate limited per client address.",
  // The sign-in is recorded after the answer (src/auth/login.ts).
  middleware: [authRateLimit, holdAfterAnswer] as MiddlewareHandler<AppEnv>[],
  request: { body: jsonBody(LoginBody) },
  responses: {
    200: jsonContent(SessionSchema, "Signed in."),
    401: problemResponse("Wrong email or password."),
    403: problemResponse("The tenant is suspended (`tenant_suspended`)."),
    423: problemResponse("Locked after too many failures (`account_locked`)."),
    429: problemResponse("Too many attempts from this address."),
  },
});

export const registerLogin = (app: App) =>
  app.openapi(route, async (c) => {
    const result = unwrap(await login(c.get("services"), requestMeta(c), c.req.valid("json")));
    return c.json(result, 200);
  });
