import { sql } from "drizzle-orm";
import { usageCounters } from "../../db/schema/index.ts";
import { resultRows } from "../platform/db/database.ts";
import type { Services } from "../services.ts";

/** `2026-11`, in UTC: plan periods are calendar months. */
export const periodOf = (d: Date) => d.toISOString().slice(0, 7);

/**
 * Counts one use against a monthly limit, in one statement: the increment happens only while
 * the counter is under `limit`, so concurrent sends cannot overshoot it.
 */
export async function consumeMonthly(
  s: Services,
  tenantId: string,
  metric: "messages",
  limit: number,
): Promise<{ ok: true; used: number } | { ok: false; used: number }> {
  const period = periodOf(s.clock.now());
  const rows = resultRows<{ value: number }>(
    await s.database.db.execute(sql`
      insert into ${usageCounters} (tenant_id, period, metric, value) values (${tenantId}, ${period}, ${metric}, 1)
      on conflict (tenant_id, period, metric) do update set value = ${usageCounters.value} + 1
      where ${usageCounters.value} < ${limit}
      returning value`),
  );
  if (rows.length > 0 && rows[0].value <= limit) return { ok: true, used: Number(rows[0].value) };
  return { ok: false, used: limit };
}

/** Gives one use back (a send that never left, a refused one). */
export async function releaseMonthly(s: Services, tenantId: string, metric: "messages"): Promise<void> {
  const period = periodOf(s.clock.now());
  await s.database.db.execute(sql`
    update ${usageCounters} set value = greatest(value - 1, 0)
    where tenant_id = ${tenantId} and period = ${period} and metric = ${metric}`);
}
