import { randomToken, sha256Hex } from "../core/crypto.ts";
import type { KV } from "../platform/kv/kv.ts";

/**
 * Single-use tokens sent by mail: email verification, password reset, invitation. Only a hash
 * is stored; `take` (GETDEL) makes each usable exactly once.
 */
export type AccountTokenPurpose = "verify_email" | "reset_password" | "invitation";

export const ACCOUNT_TOKEN_TTL: Record<AccountTokenPurpose, number> = {
  verify_email: 7 * 24 * 3600,
  reset_password: 3600,
  invitation: 7 * 24 * 3600,
};

const key = (hash: string) => `auth:acct:${hash}`;

export async function issueAccountToken(
  kv: KV,
  purpose: AccountTokenPurpose,
  userId: string,
): Promise<string> {
  const token = randomToken(32);
  await kv.set(key(await sha256Hex(token)), JSON.stringify({ purpose, userId }), {
    ttlSeconds: ACCOUNT_TOKEN_TTL[purpose],
  });
  return token;
}

/** The user the token was issued for, if it is valid for one of `purposes`; consumed either way. */
export function consumeAccountToken(kv: KV, token: string, purposes: AccountTokenPurpose[]) {
  return readAccountToken(kv, token, purposes, "take");
}

/** Reads a token without consuming it, to validate the rest of a request before spending it. */
export function peekAccountToken(kv: KV, token: string, purposes: AccountTokenPurpose[]) {
  return readAccountToken(kv, token, purposes, "get");
}

async function readAccountToken(
  kv: KV,
  token: string,
  purposes: AccountTokenPurpose[],
  how: "get" | "take",
): Promise<{ userId: string; purpose: AccountTokenPurpose } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const raw = await kv[how](key(await sha256Hex(token)));
  if (!raw) return null;
  const value = JSON.parse(raw) as { purpose: AccountTokenPurpose; userId: string };
  return purposes.includes(value.purpose) ? value : null;
}
