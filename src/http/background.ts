import type { Context, MiddlewareHandler } from "hono";
import { inRequestScope } from "../core/after-answer.ts";
import type { AppEnv } from "./app-env.ts";

/**
 * Work that may finish after the response (a `last_used_at` touch, webhook processing). On
 * Workers it goes to `waitUntil`; every entry passes an execution context, but a bare
 * `app.request` has none, and Hono's getter throws then (known-pitfalls D.1).
 */
export function background(c: Context<AppEnv>, work: Promise<unknown>): void {
  const guarded = work.catch((err) => c.get("log").error("background task failed", { error: err }));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No execution context: the promise still runs; its failure is logged above.
  }
}

/**
 * Holds what the rest of the request leaves for after its answer (src/core/after-answer.ts) until
 * the response is ready, then hands it to `waitUntil`. Authentication opens it for every
 * protected route; a public route that has such work (login records itself) uses it directly.
 */
export const holdAfterAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
  await inRequestScope(next, (work) => background(c, work));
};
