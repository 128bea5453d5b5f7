import { createRoute, type RouteConfig, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { authenticate, authenticateHandshake, requirePermission, requireUser } from "../auth/authenticate.ts";
import type { Permission } from "../auth/permissions.ts";
import type { AppEnv } from "./app-env.ts";
import { problemResponse } from "./openapi-schemas.ts";
import { strictBody } from "./strict-body.ts";

/**
 * Who may call a route, declared once in its definition. The same declaration drives the
 * middleware that enforces it, the OpenAPI `security` and the `x-pytake-access` extension that
 * the security sweep test reads.
 */
export type Access =
  | { permission: Permission }
  /** Any signed-in user acting for themselves (their profile, logout, own password). */
  | { user: true }
  | { public: true }
  /** Authenticated by a signature over the body (QStash, Meta, Evolution, ERPs), not a token. */
  | { signature: string };

type Definition = Omit<RouteConfig, "security" | "middleware"> & {
  operationId: string;
  summary: string;
  tags: string[];
  /** Runs after authentication and before input validation (a signature check, say). */
  middleware?: MiddlewareHandler<AppEnv>[];
  /**
   * A WebSocket handshake route (`/ws`): on the handshake the token may also come from the
   * subprotocol or `?token=`, since browsers cannot set `Authorization` (src/auth/websocket-token.ts).
   */
  webSocket?: true;
};

/**
 * Input rules every route inherits from here (write no per-route code for them):
 * - A JSON body refuses fields its schema does not declare: 422 `body.<field>` "Received unknown
 *   parameter" (src/http/strict-body.ts says how to keep a map open on purpose).
 * - No text anywhere in the input (body, query, path, headers) may hold NUL or a lone surrogate:
 *   422 naming the field, checked by the validation hook (src/http/validation-hook.ts).
 */
export function defineRoute<const R extends Definition>(access: Access, { webSocket, ...route }: R) {
  const protectedRoute = "permission" in access || "user" in access;
  const auth = webSocket ? authenticateHandshake : authenticate;
  const template = route.path;
  const bodyTypes = Object.keys((route.request?.body as { content?: object } | undefined)?.content ?? {});
  const named: MiddlewareHandler<AppEnv> = (c, next) => {
    c.set("route", template);
    if (bodyTypes.length) c.set("bodyTypes", bodyTypes);
    return next();
  };
  const middleware: MiddlewareHandler<AppEnv>[] = [
    named,
    ...("permission" in access ? [auth, requirePermission(access.permission)] : []),
    ...("user" in access ? [auth, requireUser] : []),
    ...(route.middleware ?? []),
  ];
  const req = strictJsonBody(route.request);
  const takesInput = Boolean(req?.body || req?.query || req?.params || req?.headers);
  const responses = {
    ...(req?.body
      ? {
        400: problemResponse("Malformed JSON body."),
        413: problemResponse("Body larger than allowed."),
        415: problemResponse("Unsupported `Content-Type`."),
      }
      : {}),
    ...(protectedRoute
      ? {
        401: problemResponse("Missing, invalid, expired or revoked credentials."),
        403: problemResponse("Authenticated, but lacking the permission or the tenant is suspended."),
        429: problemResponse("Rate limit exceeded; see `Retry-After`."),
      }
      : {}),
    ...("signature" in access ? { 401: problemResponse("Missing or invalid signature.") } : {}),
    ...(req?.params ? { 404: problemResponse("No such resource in the caller's tenant.") } : {}),
    ...(takesInput ? { 422: problemResponse("Invalid input; `errors` lists each field.") } : {}),
    500: problemResponse("Unexpected error; quote `request_id` when reporting it."),
    503: problemResponse("A backing service is unavailable; retry later."),
    ...route.responses,
  };
  const config = {
    ...route,
    ...(req ? { request: req } : {}),
    responses,
    ...(protectedRoute ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    "x-pytake-access": "permission" in access
      ? { permission: access.permission }
      : "user" in access
      ? { user: true }
      : "signature" in access
      ? { signature: access.signature }
      : { public: true },
    middleware,
  };
  return createRoute(config as typeof config & R & { middleware: MiddlewareHandler<AppEnv>[] }) as
    & R
    & { middleware: MiddlewareHandler<AppEnv>[] };
}

type Request = RouteConfig["request"];

/** The request with its JSON body schema made strict (unknown fields refused), everything else as given. */
function strictJsonBody(req: Request): Request {
  const json = req?.body?.content?.["application/json"] as { schema?: unknown } | undefined;
  if (!json || !isZod(json.schema)) return req;
  return {
    ...req,
    body: {
      ...req!.body!,
      content: { ...req!.body!.content, "application/json": { ...json, schema: strictBody(json.schema) } },
    },
  };
}

const isZod = (s: unknown): s is z.core.$ZodType => typeof s === "object" && s !== null && "_zod" in s;
