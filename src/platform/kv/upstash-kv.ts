import { Redis } from "@upstash/redis/cloudflare";
import type { KV } from "./kv.ts";

/**
 * Upstash Redis over its REST protocol. The `/cloudflare` build is used on every runtime: it
 * never reads `process.env` and sends no `cache` fetch option, which production Workers reject
 * (known-pitfalls F.7).
 */
export function createUpstashRedis(opts: { url: string; token: string }): Redis {
  return new Redis({
    url: opts.url,
    token: opts.token,
    // Values are our own strings; the client must not JSON-decode them behind our back.
    automaticDeserialization: false,
    retry: { retries: 2, backoff: (n) => Math.min(50 * 2 ** n, 500) },
  });
}

export class UpstashKV implements KV {
  readonly kind = "upstash";
  constructor(private readonly redis: Redis, private readonly prefix = "") {}

  #k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return await this.redis.get<string>(this.#k(key));
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return await this.redis.mget<(string | null)[]>(...keys.map((k) => this.#k(k)));
  }

  async set(key: string, value: string, opts: { ttlSeconds?: number; onlyIfAbsent?: boolean } = {}) {
    const k = this.#k(key);
    const res = opts.ttlSeconds
      ? opts.onlyIfAbsent
        ? await this.redis.set(k, value, { ex: opts.ttlSeconds, nx: true })
        : await this.redis.set(k, value, { ex: opts.ttlSeconds })
      : opts.onlyIfAbsent
      ? await this.redis.set(k, value, { nx: true })
      : await this.redis.set(k, value);
    return res === "OK";
  }

  async incr(key: string, opts: { ttlSeconds?: number } = {}): Promise<number> {
    const k = this.#k(key);
    if (!opts.ttlSeconds) return await this.redis.incr(k);
    // One MULTI/EXEC round trip; EXPIRE NX only sets the expiry of a key that has none yet.
    const [n] = await this.redis.multi().incr(k).expire(k, opts.ttlSeconds, "NX").exec<[number, number]>();
    return n;
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return await this.redis.del(...keys.map((k) => this.#k(k)));
  }

  async take(key: string): Promise<string | null> {
    return await this.redis.getdel<string>(this.#k(key));
  }

  async ttl(key: string): Promise<number | null> {
    const t = await this.redis.ttl(this.#k(key));
    return t === -2 ? null : t;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
