import type { Context } from "hono";
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
