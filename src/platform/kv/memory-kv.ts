import type { KV } from "./kv.ts";

interface Entry {
  value: string;
  expiresAt: number | null;
}

/** In-process KV with TTLs for `deno task dev` and tests; one process, lost on restart. */
export class MemoryKV implements KV {
  readonly kind = "memory";
  #map = new Map<string, Entry>();
  #writesSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  #live(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== null && e.expiresAt <= this.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return e;
  }

  /** Expired keys nobody reads again would pile up; drop them every so many writes. */
  #write(key: string, entry: Entry): void {
    this.#map.set(key, entry);
    if (++this.#writesSinceSweep >= 1000) {
      this.#writesSinceSweep = 0;
      const now = this.now();
      for (const [k, e] of this.#map) if (e.expiresAt !== null && e.expiresAt <= now) this.#map.delete(k);
    }
  }

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.#live(key)?.value ?? null);
  }

  mget(keys: string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((k) => this.#live(k)?.value ?? null));
  }

  set(
    key: string,
    value: string,
    opts: { ttlSeconds?: number; onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    if (opts.onlyIfAbsent && this.#live(key)) return Promise.resolve(false);
    this.#write(key, { value, expiresAt: opts.ttlSeconds ? this.now() + opts.ttlSeconds * 1000 : null });
    return Promise.resolve(true);
  }

  incr(key: string, opts: { ttlSeconds?: number } = {}): Promise<number> {
    const e = this.#live(key);
    if (e && !/^-?\d+$/.test(e.value)) {
      return Promise.reject(new Error("ERR value is not an integer or out of range"));
    }
    const next = (e ? Number(e.value) : 0) + 1;
    const expiresAt = e ? e.expiresAt : opts.ttlSeconds ? this.now() + opts.ttlSeconds * 1000 : null;
    this.#write(key, { value: String(next), expiresAt });
    return Promise.resolve(next);
  }

  del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.#live(k) && this.#map.delete(k)) n++;
    return Promise.resolve(n);
  }

  take(key: string): Promise<string | null> {
    const e = this.#live(key);
    if (!e) return Promise.resolve(null);
    this.#map.delete(key);
    return Promise.resolve(e.value);
  }

  ttl(key: string): Promise<number | null> {
    const e = this.#live(key);
    if (!e) return Promise.resolve(null);
    if (e.expiresAt === null) return Promise.resolve(-1);
    return Promise.resolve(Math.ceil((e.expiresAt - this.now()) / 1000));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }
}
