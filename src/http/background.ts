import type { Context } from "hono";
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
