import { sql } from "drizzle-orm";
import { usageCounters } from "../../db/schema/index.ts";
import type { Db } from "../platform/db/database.ts";
import type { Services } from "../services.ts";

/** `2026-11`, in UTC: plan periods are calendar months. */
export const periodOf = (d: Date) => d.toISOString().slice(0, 7);

// Counting a use happens inside the statement that stores what used it (src/whatsapp/stage-send.ts):
// the increment only while the counter is under the limit, so concurrent sends cannot overshoot it.

/** Gives one use back (a send that never left, a refused one). */
export async function releaseMonthly(s: Services, tenantId: string, metric: "messages"): Promise<void> {
  await releaseMonthlyStatement(s.database.db, tenantId, metric, s.clock.now());
}

/** `releaseMonthly` as a statement, to go in the batch that records why. */
export const releaseMonthlyStatement = (db: Db, tenantId: string, metric: "messages", now: Date) =>
  db.execute(sql`
    update ${usageCounters} set value = greatest(value - 1, 0)
    where tenant_id = ${tenantId} and period = ${periodOf(now)} and metric = ${metric}`);
