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

/**
 * The HMAC key, imported once per secret: handing jose raw bytes makes it import a CryptoKey on
 * every sign and verify, which cost more than the verification itself (docs/benchmarks.md).
 */
const keyCache = new Map<string, Promise<CryptoKey>>();
function key(secret: string): Promise<CryptoKey> {
  let k = keyCache.get(secret);
  if (!k) {
    k = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      [
        "sign",
        "verify",
      ],
    );
    keyCache.set(secret, k);
  }
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
    .sign(await key(secret));
  return { token, tokenId, expiresAt };
}

/**
 * Tokens whose signature already verified, with their claims. A client sends the same token for
 * up to 15 minutes and an HMAC through WebCrypto costs tens of microseconds, the most expensive
 * step of authenticating (docs/benchmarks.md); times are still checked on every use, and
 * revocation never relied on this (sessions and the denylist are looked up on every request).
 */
const verified = new Map<string, AccessClaims & { notBefore: number; secret: string }>();
const VERIFIED_MAX = 10_000;
const CLOCK_TOLERANCE = 5;

/** The claims of a valid token, or null for anything else (bad signature, `alg`, time, audience). */
export async function verifyAccessToken(
  secret: string,
  token: string,
  now: Date,
): Promise<AccessClaims | null> {
  const nowSeconds = now.getTime() / 1000;
  const hit = verified.get(token);
  if (hit && hit.secret === secret) {
    const fresh = nowSeconds < hit.expiresAt + CLOCK_TOLERANCE &&
      nowSeconds >= hit.notBefore - CLOCK_TOLERANCE;
    if (!fresh) return null;
    const { notBefore: _n, secret: _s, ...claims } = hit;
    return claims;
  }
  const checked = await verifySignedToken(secret, token, now);
  if (!checked) return null;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(token, { ...checked.claims, notBefore: checked.notBefore, secret });
  return checked.claims;
}

async function verifySignedToken(
  secret: string,
  token: string,
  now: Date,
): Promise<{ claims: AccessClaims; notBefore: number } | null> {
  try {
    const { payload } = await jwtVerify(token, await key(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE,
      requiredClaims: ["sub", "jti", "exp", "iat"],
    });
    if (typeof payload.sid !== "string" || typeof payload.role !== "string") return null;
    return {
      claims: {
        userId: payload.sub!,
        tenantId: typeof payload.tid === "string" ? payload.tid : null,
        role: payload.role as Role,
        sessionId: payload.sid,
        tokenId: payload.jti!,
        expiresAt: payload.exp!,
      },
      notBefore: payload.nbf ?? payload.iat!,
    };
  } catch {
    return null;
  }
}
