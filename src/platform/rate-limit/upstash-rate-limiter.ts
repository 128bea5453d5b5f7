import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis/cloudflare";
import type { Logger } from "../../observability/logger.ts";
import type { RateDecision, RateLimiter, RateRule } from "./rate-limiter.ts";

/**
 * `@upstash/ratelimit` sliding windows. One `Ratelimit` per distinct rule, kept for the life of
 * the process or isolate so its ephemeral cache of blocked keys is useful (pitfall F.8).
 */
export class UpstashRateLimiter implements RateLimiter {
  #limiters = new Map<string, Ratelimit>();

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly prefix = "pytake:rl",
  ) {}

  #limiter(rule: RateRule): Ratelimit {
    const id = `${rule.limit}/${rule.windowSeconds}`;
    let rl = this.#limiters.get(id);
    if (!rl) {
      rl = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
        prefix: `${this.prefix}:${id}`,
        // Fails open after this long; a slow Redis must not take the API down with it.
        timeout: 2000,
        analytics: false,
      });
      this.#limiters.set(id, rl);
    }
    return rl;
  }

  async limit(key: string, rule: RateRule): Promise<RateDecision> {
    const res = await this.#limiter(rule).limit(key);
    if (res.reason === "timeout") this.log.warn("rate limiter timed out; request allowed", { key });
    return {
      success: res.success,
      limit: res.limit,
      remaining: Math.max(0, res.remaining),
      reset: res.reset,
    };
  }
}
