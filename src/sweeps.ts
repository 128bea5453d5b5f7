import { z } from "@hono/zod-openapi";
import { sweepErpWebhooks } from "./erp/webhook.ts";
import type { Services } from "./services.ts";
import { sweepDeliveries } from "./webhooks/deliver-webhooks.ts";
import { sweepWebhooks } from "./whatsapp/inbound/ingest.ts";

/**
 * Work that must happen even when nothing triggers it: inbound webhooks (WhatsApp, ERPs) whose processing died,
 * outgoing deliveries whose job was never queued. Every minute: a chained job on Deno (each run
 * books the next; the dedupe id keeps the chain single) and the cron trigger on Workers.
 */
export async function runSweeps(s: Services): Promise<void> {
  const results = await Promise.allSettled([sweepWebhooks(s), sweepDeliveries(s), sweepErpWebhooks(s)]);
  for (const r of results) {
    if (r.status === "rejected") s.obs.log.error("sweep failed", { error: r.reason });
  }
}

export function registerSweepJob(s: Services): void {
  s.jobRegistry.register("maintenance.sweep", z.object({ minute: z.number() }), async ({ minute }) => {
    await runSweeps(s);
    await scheduleSweep(s, minute + 1);
  }, { maxAttempts: 3 });
}

export async function scheduleSweep(s: Services, minute = Math.floor(s.clock.now().getTime() / 60_000) + 1) {
  const delay = Math.max(1, Math.ceil((minute * 60_000 - s.clock.now().getTime()) / 1000));
  await s.jobs.enqueue("maintenance.sweep", { minute }, {
    delaySeconds: delay,
    dedupeId: `maintenance.sweep:${minute}`,
  });
}
