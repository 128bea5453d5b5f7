import type { RateDecision, RateLimiter, RateRule } from "./rate-limiter.ts";

/** In-process sliding window (same arithmetic as Upstash's Lua script), for dev and tests. */
export class MemoryRateLimiter implements RateLimiter {
  #counts = new Map<string, { window: number; count: number }>();
  #calls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  limit(key: string, rule: RateRule): Promise<RateDecision> {
    const windowMs = rule.windowSeconds * 1000;
    const now = this.now();
    const current = Math.floor(now / windowMs);
    const curKey = `${rule.limit}/${rule.windowSeconds}:${key}:${current}`;
    const prevKey = `${rule.limit}/${rule.windowSeconds}:${key}:${current - 1}`;
    const inCurrent = this.#counts.get(curKey)?.count ?? 0;
    const inPrevious = this.#counts.get(prevKey)?.count ?? 0;
    const weightedPrevious = Math.floor((1 - (now % windowMs) / windowMs) * inPrevious);
    const reset = (current + 1) * windowMs;
    this.#sweep(current, rule);
    if (weightedPrevious + inCurrent >= rule.limit) {
      return Promise.resolve({ success: false, limit: rule.limit, remaining: 0, reset });
    }
    this.#counts.set(curKey, { window: current, count: inCurrent + 1 });
    return Promise.resolve({
      success: true,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - (inCurrent + 1 + weightedPrevious)),
      reset,
    });
  }

  /** Windows older than the previous one can never count again. */
  #sweep(current: number, rule: RateRule): void {
    if (++this.#calls % 1000 !== 0) return;
    const prefix = `${rule.limit}/${rule.windowSeconds}:`;
    for (const [k, v] of this.#counts) {
      if (k.startsWith(prefix) && v.window < current - 1) this.#counts.delete(k);
    }
  }
}
