import type { Services } from "../services.ts";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./access-token.ts";
import type { Role } from "./permissions.ts";
import { createSession } from "./sessions.ts";
import type { RequestMeta } from "../audit/audit-log.ts";

export interface TokenPair {
  token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

/** A new session and its first token pair (login, registration). */
export async function startSession(
  s: Services,
  meta: RequestMeta,
  user: { id: string; tenantId: string | null; role: Role },
): Promise<TokenPair> {
  const now = s.clock.now();
  const { sessionId, refreshToken } = await createSession(s.kv, {
    userId: user.id,
    tenantId: user.tenantId,
    ip: meta.ip,
    userAgent: meta.userAgent,
  }, now);
  const access = await signAccessToken(s.config.jwtSecret!, {
    userId: user.id,
    tenantId: user.tenantId,
    role: user.role,
    sessionId,
  }, now);
  return {
    token: access.token,
    refresh_token: refreshToken,
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}
