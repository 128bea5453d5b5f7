import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { enforceRateLimit } from "./rate-limit.ts";

/** Per client address on the unauthenticated auth routes (`AUTH_RATE_LIMIT_PER_MINUTE`). */
export const authRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config } = c.get("services");
  await enforceRateLimit(c, `auth:ip:${c.env?.clientIp ?? "unknown"}`, {
    limit: config.authRateLimitPerMinute,
    windowSeconds: 60,
  });
  await next();
};
