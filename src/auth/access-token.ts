import { jwtVerify, SignJWT } from "jose";
import type { Role } from "./permissions.ts";

/** Access tokens: HS256 JWTs, 15 minutes, bound to a session (DESIGN §5). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = "pytake";
const AUDIENCE = "pytake-api";

export interface AccessClaims {
  userId: string;
  tenantId: string | null;
  role: Role;
  sessionId: string;
  tokenId: string;
  expiresAt: number;
}

const keyCache = new Map<string, Uint8Array>();
function key(secret: string): Uint8Array {
  let k = keyCache.get(secret);
  if (!k) keyCache.set(secret, k = new TextEncoder().encode(secret));
  return k;
}

export async function signAccessToken(
  secret: string,
  claims: Omit<AccessClaims, "expiresAt" | "tokenId">,
  now: Date,
): Promise<{ token: string; tokenId: string; expiresAt: number }> {
  const iat = Math.floor(now.getTime() / 1000);
  const tokenId = crypto.randomUUID();
  const expiresAt = iat + ACCESS_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({ tid: claims.tenantId, role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.userId)
    .setJti(tokenId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(expiresAt)
    .sign(key(secret));
  return { token, tokenId, expiresAt };
}

/** The claims of a valid token, or null for anything else (bad signature, `alg`, time, audience). */
export async function verifyAccessToken(
  secret: string,
  token: string,
  now: Date,
): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      clockTolerance: 5,
      requiredClaims: ["sub", "jti", "exp", "iat"],
    });
    if (typeof payload.sid !== "string" || typeof payload.role !== "string") return null;
    return {
      userId: payload.sub!,
      tenantId: typeof payload.tid === "string" ? payload.tid : null,
      role: payload.role as Role,
      sessionId: payload.sid,
      tokenId: payload.jti!,
      expiresAt: payload.exp!,
    };
  } catch {
    return null;
  }
}
