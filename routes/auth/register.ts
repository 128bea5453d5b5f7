import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { register } from "../../src/auth/register.ts";
import { authRateLimit } from "../../src/http/auth-rate-limit.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { Email, SessionSchema, TAG } from "./schemas.ts";

export const RegisterBody = z.object({
  email: Email,
  password: z.string().min(8).max(256).openapi({
    description: "At least 8 characters of two kinds or more (letters, digits, symbols); not the email.",
    example: "Senha-forte-1",
  }),
  name: z.string().trim().min(1).max(120).openapi({ example: "João Silva" }),
  tenant_name: z.string().trim().min(2).max(120).openapi({ example: "Empresa XYZ" }),
});

export const route = defineRoute({ public: true }, {
  method: "post",
  path: "/api/v1/auth/register",
  tags: [TAG],
  operationId: "register",
  summary: "Create a tenant and its owner",
  description:
    "Creates the company (plan `starter`, time zone `America/Sao_Paulo`, language `pt-BR`) and its owner, mails a verification link and signs the owner in.",
  middleware: [authRateLimit],
  request: { body: jsonBody(RegisterBody) },
  responses: {
    201: jsonContent(SessionSchema, "Registered and signed in."),
    409: problemResponse("An account with this email already exists."),
    429: problemResponse("Too many attempts from this address."),
  },
});

export const registerRegister = (app: App) =>
  app.openapi(route, async (c) => {
    const result = unwrap(await register(c.get("services"), requestMeta(c), c.req.valid("json")));
    return c.json(result, 201);
  });
