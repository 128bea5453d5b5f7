import type { Context } from "hono";
import type { RateRule } from "../platform/rate-limit/rate-limiter.ts";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./problem.ts";

/**
 * Counts one request against `key` and answers the IETF RateLimit headers; over the limit it is a
 * 429 problem with `Retry-After` (DESIGN §5).
 */
export async function enforceRateLimit(c: Context<AppEnv>, key: string, rule: RateRule): Promise<void> {
  const { rateLimiter, clock } = c.get("services");
  const d = await rateLimiter.limit(key, rule);
  const resetSeconds = Math.max(0, Math.ceil((d.reset - clock.now().getTime()) / 1000));
  const headers = {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(resetSeconds),
  };
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  if (!d.success) {
    throw new ApiError("rate_limited", `Too many requests; retry in ${Math.max(1, resetSeconds)} s`, {
      headers: { ...headers, "Retry-After": String(Math.max(1, resetSeconds)) },
      extensions: { limit: d.limit, window_seconds: rule.windowSeconds },
    });
  }
}
