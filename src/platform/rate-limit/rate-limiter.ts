/** A rule: at most `limit` requests per `windowSeconds`, as a sliding window. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  success: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds at which the current window ends. */
  reset: number;
}

/**
 * Rate-limit port. Both adapters implement the same approximated sliding window as
 * `@upstash/ratelimit`'s `slidingWindow`: the previous fixed window counts in proportion to how
 * much of it still overlaps the sliding one.
 */
export interface RateLimiter {
  limit(key: string, rule: RateRule): Promise<RateDecision>;
}
