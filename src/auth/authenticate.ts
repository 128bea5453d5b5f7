import type { Context, MiddlewareHandler, Next } from "hono";
import { eq } from "drizzle-orm";
import { apiKeys, tenants, users } from "../../db/schema/index.ts";
import { sha256Hex, timingSafeEqualText } from "../core/crypto.ts";
import type { AppEnv } from "../http/app-env.ts";
import { afterAnswer } from "../core/after-answer.ts";
import { holdAfterAnswer } from "../http/background.ts";
import { ApiError } from "../http/problem.ts";
import { enforceRateLimit } from "../http/rate-limit.ts";
import { limitsOf, PLATFORM_REQUESTS_PER_MINUTE } from "../tenants/plans.ts";
import { verifyAccessToken } from "./access-token.ts";
import { isPermission, type Permission } from "./permissions.ts";
import {
  apiKeyStateKey,
  cacheState,
  effectivePermissions,
  loadPrincipalState,
  loadTenantState,
  parseCached,
  type TenantState,
  tenantStateColumns,
  tenantStateKey,
  toUserState,
  type UserState,
  userStateColumns,
  userStateKey,
} from "./principal-state.ts";
import type { Principal } from "./principal.ts";
import { deniedTokenKey, sessionKey, type SessionRecord } from "./sessions.ts";
import { handshakeToken } from "./websocket-token.ts";

const SCRAPE_PERMISSIONS: ReadonlySet<Permission> = new Set(["read:observability"]);

const invalidToken = (detail = "The token is invalid, expired or revoked") =>
  new ApiError("unauthorized", detail, {
    headers: { "WWW-Authenticate": 'Bearer realm="pytake", error="invalid_token"' },
  });

function bearer(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

type Ctx = Context<AppEnv>;

/** The tenant must exist and be active; a suspended tenant's credentials all answer 403. */
function checkTenant(state: TenantState | null | undefined): TenantState {
  if (!state || state.status === "deleted") {
    throw invalidToken("The tenant of this credential no longer exists");
  }
  if (state.status === "suspended") {
    throw new ApiError("tenant_suspended", "This tenant is suspended; contact support to reactivate it");
  }
  return state;
}

/**
 * The user's state and their tenant's, from the KV cache where they are, else from the database
 * in one statement for both (ROUND_TRIP_BUDGET.authenticationCold).
 */
async function principalState(
  c: Ctx,
  userId: string,
  userRaw: string | null,
  tenantRaw: string | null | undefined,
): Promise<{ user: UserState | null; tenant?: TenantState | null }> {
  const user = parseCached<UserState>(userRaw);
  const { database, kv } = c.get("services");
  if (user === undefined) return await loadPrincipalState(database, kv, userId);
  if (!user?.tenantId) return { user };
  const tenant = parseCached<TenantState>(tenantRaw ?? null);
  if (tenant !== undefined) return { user, tenant };
  return { user, tenant: await loadTenantState(database, kv, user.tenantId) };
}

async function fromAccessToken(
  c: Ctx,
  token: string,
): Promise<{ principal: Principal; tenant?: TenantState }> {
  const { config, kv, clock } = c.get("services");
  const claims = await verifyAccessToken(config.jwtSecret!, token, clock.now());
  if (!claims) throw invalidToken();
  const keys = [sessionKey(claims.sessionId), deniedTokenKey(claims.tokenId), userStateKey(claims.userId)];
  if (claims.tenantId) keys.push(tenantStateKey(claims.tenantId));
  const [sessionRaw, denied, userRaw, tenantRaw] = await kv.mget(keys);
  if (denied || !sessionRaw) throw invalidToken("This session has ended; sign in again");
  const session = JSON.parse(sessionRaw) as SessionRecord;
  // The tenant key was read for the token's tenant; a user never changes tenant.
  const state = await principalState(c, claims.userId, userRaw, tenantRaw);
  const user = state.user;
  if (!user || user.deleted || user.status !== "active") throw invalidToken("This account is not active");
  if (user.sessionsRevokedAt !== null && session.createdAt <= user.sessionsRevokedAt) {
    throw invalidToken("This session was revoked; sign in again");
  }
  const tenant = user.tenantId ? checkTenant(state.tenant) : undefined;
  return {
    principal: {
      kind: "user",
      userId: claims.userId,
      tenantId: user.tenantId,
      role: user.role,
      permissions: effectivePermissions(user.role, user.grants),
      sessionId: claims.sessionId,
      tokenId: claims.tokenId,
      tokenExpiresAt: claims.expiresAt,
      plan: tenant?.plan,
    },
    tenant,
  };
}

interface ApiKeyState {
  id: string;
  tenantId: string;
  createdBy: string;
  permissions: Permission[];
  expiresAt: number | null;
}

/**
 * A key's state, its creator's and its tenant's: cached in KV, or read in one statement that joins
 * the three (and caches them all).
 */
async function apiKeyState(
  c: Ctx,
  hash: string,
): Promise<{ key: ApiKeyState | null; creator?: UserState | null; tenant?: TenantState | null }> {
  const { database, kv } = c.get("services");
  const cachedKey = parseCached<ApiKeyState>(await kv.get(apiKeyStateKey(hash)));
  if (cachedKey === null) return { key: null };
  if (cachedKey) {
    const [creatorRaw, tenantRaw] = await kv.mget([
      userStateKey(cachedKey.createdBy),
      tenantStateKey(cachedKey.tenantId),
    ]);
    const creator = parseCached<UserState>(creatorRaw);
    const tenant = parseCached<TenantState>(tenantRaw);
    if (creator !== undefined && tenant !== undefined) return { key: cachedKey, creator, tenant };
    // The creator's row and the tenant's in one statement (the creator belongs to the key's tenant).
    const loaded = await loadPrincipalState(database, kv, cachedKey.createdBy);
    return {
      key: cachedKey,
      creator: loaded.user,
      tenant: loaded.user?.tenantId === cachedKey.tenantId ? loaded.tenant : tenant,
    };
  }
  const [row] = await database.db.select({
    key: apiKeys,
    creator: userStateColumns,
    tenant: tenantStateColumns,
  }).from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(eq(apiKeys.keyHash, hash));
  const key: ApiKeyState | null = row && !row.key.revokedAt
    ? {
      id: row.key.id,
      tenantId: row.key.tenantId,
      createdBy: row.key.createdBy,
      permissions: row.key.permissions.filter(isPermission),
      expiresAt: row.key.expiresAt?.getTime() ?? null,
    }
    : null;
  // Unknown keys are remembered too, so guessing keys does not turn into database load.
  const caching: Promise<unknown>[] = [cacheState(kv, apiKeyStateKey(hash), key)];
  if (!key) {
    await Promise.all(caching);
    return { key: null };
  }
  const creator = row.creator ? toUserState(row.creator) : null;
  const tenant = row.tenant;
  caching.push(
    cacheState(kv, userStateKey(key.createdBy), creator),
    cacheState(kv, tenantStateKey(key.tenantId), tenant),
  );
  await Promise.all(caching);
  return { key, creator, tenant };
}

async function fromApiKey(
  c: Ctx,
  token: string,
): Promise<{ principal: Principal; tenant?: TenantState; touch?: () => Promise<unknown> }> {
  const { database, kv, clock } = c.get("services");
  const hash = await sha256Hex(token);
  const { key: state, creator, tenant: tenantState } = await apiKeyState(c, hash);
  if (!state || (state.expiresAt !== null && state.expiresAt <= clock.now().getTime())) {
    throw invalidToken("The API key is invalid, revoked or expired");
  }
  // A key never holds more than its creator holds today: gone creator, dead key.
  if (!creator || creator.deleted || creator.status !== "active" || creator.tenantId !== state.tenantId) {
    throw invalidToken("The API key's creator is no longer active");
  }
  const tenant = checkTenant(tenantState);
  const creatorPerms = effectivePermissions(creator.role, creator.grants);
  const keyId = state.id;
  // `last_used_at`, at most once a minute, after the answer.
  const at = clock.now();
  const touch = await kv.set(`auth:akused:${keyId}`, "1", { ttlSeconds: 60, onlyIfAbsent: true })
    ? () => database.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, keyId))
    : undefined;
  return {
    principal: {
      kind: "api_key",
      keyId,
      tenantId: state.tenantId,
      role: creator.role,
      createdBy: state.createdBy,
      permissions: new Set(state.permissions.filter((p) => creatorPerms.has(p))),
      plan: tenant.plan,
    },
    tenant,
    touch,
  };
}

/**
 * Resolves the caller from `Authorization: Bearer …` (access JWT, `pk_` API key, or the
 * observability scrape token) or answers 401; then applies the rate limit of the caller's plan.
 */
export const authenticate: MiddlewareHandler<AppEnv> = (c, next) =>
  authenticateToken(c, next, bearer(c.req.header("authorization")), "Send `Authorization: Bearer <token>`");

/**
 * For the WebSocket handshake of `/ws` only: browsers cannot set `Authorization` there, so the
 * token may also come from the subprotocol list or `?token=` (src/auth/websocket-token.ts), and
 * only on a request that really is a handshake.
 */
export const authenticateHandshake: MiddlewareHandler<AppEnv> = (c, next) =>
  authenticateToken(
    c,
    next,
    bearer(c.req.header("authorization")) ?? handshakeToken(c.req.raw),
    "Send `Authorization: Bearer <token>`, the subprotocol `bearer.<token>` or `?token=<token>`",
  );

async function authenticateToken(c: Ctx, next: Next, token: string | undefined, hint: string) {
  if (!token) {
    throw new ApiError("unauthorized", hint, {
      headers: { "WWW-Authenticate": 'Bearer realm="pytake"' },
    });
  }
  const { config } = c.get("services");
  if (config.observabilityToken && await timingSafeEqualText(token, config.observabilityToken)) {
    c.set("principal", { kind: "scrape", tenantId: null, permissions: SCRAPE_PERMISSIONS });
    return await next();
  }
  const { principal, tenant, touch } = token.startsWith("pk_")
    ? await fromApiKey(c, token)
    : { ...await fromAccessToken(c, token), touch: undefined };
  c.set("principal", principal);
  if (tenant) c.set("tenant", tenant);
  if (tenant && principal.tenantId) {
    await enforceRateLimit(c, `api:tenant:${principal.tenantId}`, {
      limit: limitsOf(tenant.plan).api_requests_per_minute,
      windowSeconds: 60,
    });
  } else if (principal.kind === "user") {
    await enforceRateLimit(c, `api:user:${principal.userId}`, {
      limit: PLATFORM_REQUESTS_PER_MINUTE,
      windowSeconds: 60,
    });
  }
  // What the route leaves for after its answer (events to webhooks, src/core/after-answer.ts) is
  // held until the response is out, then handed to waitUntil. Only authenticated routes produce
  // such work, so public ones (health probes) do not pay for the scope.
  await holdAfterAnswer(c, async () => {
    if (touch) await afterAnswer(touch);
    await next();
  });
}

/** 403 unless the authenticated principal holds `permission`. */
export const requirePermission = (permission: Permission): MiddlewareHandler<AppEnv> => async (c, next) => {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized", "Authentication required");
  if (!principal.permissions.has(permission)) {
    throw new ApiError("forbidden", `This action needs the \`${permission}\` permission`, {
      extensions: { required_permission: permission },
    });
  }
  await next();
};

/** Routes about the caller's own account need a user, not an API key or a scraper. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("principal")?.kind !== "user") {
    throw new ApiError("forbidden", "This route needs a user's access token, not an API key");
  }
  await next();
};
