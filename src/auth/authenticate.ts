import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import type { Permission } from "./permissions.ts";
import type { Principal } from "./principal.ts";
import { timingSafeEqualText } from "../core/crypto.ts";

const SCRAPE_PERMISSIONS: ReadonlySet<Permission> = new Set(["read:observability"]);

function bearer(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

/** Resolves the caller from `Authorization: Bearer …` or answers 401. */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) {
    throw new ApiError("unauthorized", "Send `Authorization: Bearer <token>`", {
      headers: { "WWW-Authenticate": 'Bearer realm="pytake"' },
    });
  }
  const { config } = c.var.services;
  let principal: Principal | undefined;
  if (config.observabilityToken && await timingSafeEqualText(token, config.observabilityToken)) {
    principal = { kind: "scrape", tenantId: null, permissions: SCRAPE_PERMISSIONS };
  }
  if (!principal) {
    throw new ApiError("unauthorized", "The token is invalid, expired or revoked", {
      headers: { "WWW-Authenticate": 'Bearer realm="pytake", error="invalid_token"' },
    });
  }
  c.set("principal", principal);
  await next();
};

/** 403 unless the authenticated principal holds `permission`. */
export const requirePermission = (permission: Permission): MiddlewareHandler<AppEnv> => async (c, next) => {
  const principal = c.var.principal;
  if (!principal) throw new ApiError("unauthorized", "Authentication required");
  if (!principal.permissions.has(permission)) {
    throw new ApiError("forbidden", `This action needs the \`${permission}\` permission`, {
      extensions: { required_permission: permission },
    });
  }
  await next();
};
