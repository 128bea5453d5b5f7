/**
 * Key-value port: sessions, the token denylist, idempotency keys, lockout counters, caches.
 * Values are strings; callers encode JSON themselves (`getJson`/`setJson`).
 */
export interface KV {
  readonly kind: "memory" | "upstash";
  get(key: string): Promise<string | null>;
  /** Several keys in one round trip, in order. */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** Returns false when `onlyIfAbsent` is set and the key already exists. */
  set(key: string, value: string, opts?: { ttlSeconds?: number; onlyIfAbsent?: boolean }): Promise<boolean>;
  /** Atomic increment; `ttlSeconds` starts the expiry when the key is created, never extends it. */
  incr(key: string, opts?: { ttlSeconds?: number }): Promise<number>;
  /** Number of keys that existed. */
  del(...keys: string[]): Promise<number>;
  /** Atomic get-and-delete: single-use tokens are consumed by exactly one caller. */
  take(key: string): Promise<string | null>;
  /** Seconds left, -1 for a key without expiry, null for a missing key. */
  ttl(key: string): Promise<number | null>;
  ping(): Promise<void>;
}

export async function getJson<T>(kv: KV, key: string): Promise<T | null> {
  const raw = await kv.get(key);
  return raw === null ? null : JSON.parse(raw) as T;
}

export function setJson(
  kv: KV,
  key: string,
  value: unknown,
  opts?: { ttlSeconds?: number; onlyIfAbsent?: boolean },
): Promise<boolean> {
  return kv.set(key, JSON.stringify(value), opts);
}
