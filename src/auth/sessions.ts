import { randomToken, sha256Hex } from "../core/crypto.ts";
import type { KV } from "../platform/kv/kv.ts";

/**
 * Login sessions in KV (Upstash in production). A session is one login; its refresh token is
 * opaque, stored only as a hash, and rotated on every use. A rotated token presented again means
 * it was stolen or replayed: the whole session (the token family) is revoked (DESIGN §5).
 */
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;

export interface SessionRecord {
  userId: string;
  tenantId: string | null;
  /** Epoch ms; sessions older than the user's `sessions_revoked_at` are dead. */
  createdAt: number;
  lastUsedAt: number;
  ip: string | null;
  userAgent: string | null;
}

export const sessionKey = (sid: string) => `auth:sess:${sid}`;
const refreshKey = (hash: string) => `auth:rt:${hash}`;
const usedRefreshKey = (hash: string) => `auth:rt_used:${hash}`;
export const deniedTokenKey = (jti: string) => `auth:deny:${jti}`;

async function issueRefresh(kv: KV, sessionId: string): Promise<string> {
  const token = `rt_${randomToken(32)}`;
  await kv.set(refreshKey(await sha256Hex(token)), sessionId, { ttlSeconds: SESSION_TTL_SECONDS });
  return token;
}

export async function createSession(
  kv: KV,
  s: Omit<SessionRecord, "createdAt" | "lastUsedAt">,
  now: Date,
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = crypto.randomUUID();
  const record: SessionRecord = { ...s, createdAt: now.getTime(), lastUsedAt: now.getTime() };
  await kv.set(sessionKey(sessionId), JSON.stringify(record), { ttlSeconds: SESSION_TTL_SECONDS });
  return { sessionId, refreshToken: await issueRefresh(kv, sessionId) };
}

export type Rotation =
  | { kind: "rotated"; sessionId: string; session: SessionRecord; refreshToken: string }
  | { kind: "reused"; sessionId: string }
  | { kind: "invalid" };

export async function rotateRefreshToken(kv: KV, presented: string, now: Date): Promise<Rotation> {
  if (!/^rt_[A-Za-z0-9_-]{20,100}$/.test(presented)) return { kind: "invalid" };
  const hash = await sha256Hex(presented);
  // GETDEL: of two requests racing with one token, exactly one wins; the other sees reuse.
  const sessionId = await kv.take(refreshKey(hash));
  if (!sessionId) {
    const reusedOf = await kv.get(usedRefreshKey(hash));
    if (reusedOf) {
      await kv.del(sessionKey(reusedOf));
      return { kind: "reused", sessionId: reusedOf };
    }
    return { kind: "invalid" };
  }
  await kv.set(usedRefreshKey(hash), sessionId, { ttlSeconds: SESSION_TTL_SECONDS });
  const raw = await kv.get(sessionKey(sessionId));
  if (!raw) return { kind: "invalid" };
  const session = { ...JSON.parse(raw) as SessionRecord, lastUsedAt: now.getTime() };
  await kv.set(sessionKey(sessionId), JSON.stringify(session), { ttlSeconds: SESSION_TTL_SECONDS });
  return { kind: "rotated", sessionId, session, refreshToken: await issueRefresh(kv, sessionId) };
}

export async function revokeSession(kv: KV, sessionId: string): Promise<void> {
  await kv.del(sessionKey(sessionId));
}

/** Keeps an access token's id on the denylist until the token would have expired anyway. */
export async function denyAccessToken(kv: KV, tokenId: string, expiresAt: number, now: Date): Promise<void> {
  const ttl = Math.max(1, expiresAt - Math.floor(now.getTime() / 1000) + 5);
  await kv.set(deniedTokenKey(tokenId), "1", { ttlSeconds: ttl });
}

/** Keeps one session alive through a "revoke every session" of its user (password change). */
export async function renewSession(kv: KV, sessionId: string, now: Date): Promise<void> {
  const raw = await kv.get(sessionKey(sessionId));
  if (!raw) return;
  const session = { ...JSON.parse(raw) as SessionRecord, createdAt: now.getTime() + 1 };
  await kv.set(sessionKey(sessionId), JSON.stringify(session), { ttlSeconds: SESSION_TTL_SECONDS });
}
