import type { Context, MiddlewareHandler } from "hono";
import { inRequestScope } from "../core/after-answer.ts";
import type { AppEnv } from "./app-env.ts";

/**
 * Work that may finish after the response (a `last_used_at` touch, webhook processing on a Deno
 * server). On Workers it goes to `waitUntil`, which keeps the invocation alive only for the
 * promise it is given (known-pitfalls D.9): `work` must be the whole of the work, never a promise
 * that starts more and returns. Deno Deploy has no `waitUntil` and may stop an instance after
 * its answer, so only work that may be lost belongs here; anything that must happen goes through
 * the job port (`Services.longLived` says where that matters). Every entry passes an execution
 * context, but a bare `app.request` has none, and Hono's getter throws then (known-pitfalls D.1).
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
