import { audit, type RequestMeta } from "../audit/audit-log.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./access-token.ts";
import type { TokenPair } from "./issue-tokens.ts";
import { loadPrincipalState } from "./principal-state.ts";
import { revokeSession, rotateRefreshToken } from "./sessions.ts";

/** Trades a refresh token for a new pair; the presented token dies, its reuse kills the session. */
export async function refresh(s: Services, meta: RequestMeta, presented: string): Promise<Result<TokenPair>> {
  const now = s.clock.now();
  const rotation = await rotateRefreshToken(s.kv, presented, now);
  if (rotation.kind === "invalid") return fail("unauthorized", "The refresh token is invalid or expired");
  if (rotation.kind === "reused") {
    await audit(s, meta, {
      action: "auth.refresh_reuse",
      actor: { type: "anonymous" },
      targetType: "session",
      targetId: rotation.sessionId,
    });
    return fail("unauthorized", "This refresh token was already used; the session is revoked, sign in again");
  }
  const { session, sessionId } = rotation;
  // Fresh from the database: a refresh is rare enough, and it must see any revocation.
  const { user, tenant } = await loadPrincipalState(s.database, s.kv, session.userId);
  const revoked = !user || user.deleted || user.status !== "active" ||
    (user.sessionsRevokedAt !== null && session.createdAt <= user.sessionsRevokedAt) ||
    (user.tenantId !== null && (!tenant || tenant.status === "deleted"));
  if (revoked) {
    await revokeSession(s.kv, sessionId);
    return fail("unauthorized", "This session was revoked; sign in again");
  }
  if (tenant?.status === "suspended") {
    return fail("tenant_suspended", "This tenant is suspended; contact support to reactivate it");
  }
  const access = await signAccessToken(s.config.jwtSecret!, {
    userId: session.userId,
    tenantId: user.tenantId,
    role: user.role,
    sessionId,
  }, now);
  return ok({
    token: access.token,
    refresh_token: rotation.refreshToken,
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  });
}
