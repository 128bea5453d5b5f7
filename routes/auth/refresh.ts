import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { refresh } from "../../src/auth/refresh.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG, TokenPairSchema } from "./schemas.ts";

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/refresh",
  tags: [TAG],
  operationId: "refreshToken",
  summary: "Trade a refresh token for a new token pair",
  description:
    "The presented refresh token stops working. Presenting it again revokes the whole session (every token derived from that sign-in) and answers 401.",
  middleware: [authRateLimit],
  request: { body: jsonBody(z.object({ refresh_token: z.string().min(1).max(200) })) },
  responses: {
    200: jsonContent(TokenPairSchema.openapi("TokenPair"), "New tokens."),
    401: problemResponse("Invalid, expired, reused or revoked refresh token."),
    403: problemResponse("The tenant is suspended."),
  },
});

export const registerRefresh = (app: App) =>
  app.openapi(route, async (c) => {
    const result = unwrap(
      await refresh(c.get("services"), requestMeta(c), c.req.valid("json").refresh_token),
    );
    return c.json(result, 200);
  });
