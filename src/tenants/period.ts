import { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { tenants } from "../../db/schema/index.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { isTimeZone } from "./tenant-settings.ts";

export type PeriodName = "today" | "week" | "month";

export interface PeriodQuery {
  period?: PeriodName;
  /** A date (`2024-03-01`: that whole day in the tenant's zone) or an instant with its offset. */
  from?: string;
  to?: string;
}

/** A resolved period: `[from, to)` as instants, and the zone that defined its days. */
export interface Period {
  name: PeriodName | "custom";
  timeZone: string;
  from: Date;
  to: Date;
}

const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** `period`, or `from` + `to`: the query every report takes. */
export const PeriodQuerySchema = z.object({
  period: z.enum(["today", "week", "month"]).default("today").openapi({
    description: "Today, this week (from Monday) or this month, up to now, in the tenant's time zone.",
  }),
  from: DateOrInstant.optional().openapi({
    description: "With `to`, a range instead of `period`; a date means that whole day in the tenant's zone.",
    example: "2026-11-01",
  }),
  to: DateOrInstant.optional().openapi({ example: "2026-11-26" }),
});

/** The tenant's IANA zone (settings), São Paulo when it never chose one. */
export async function tenantTimeZone(s: Services, tenantId: string): Promise<string> {
  const [t] = await s.database.db.select({ settings: tenants.settings }).from(tenants).where(
    eq(tenants.id, tenantId),
  );
  const tz = (t?.settings as { timezone?: string } | undefined)?.timezone;
  return tz && isTimeZone(tz) ? tz : "America/Sao_Paulo";
}

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/**
 * The instants a period covers, its days taken in the tenant's zone (a day with a daylight-saving
 * change is 23 or 25 hours long; PostgreSQL's zone rules decide, not arithmetic on offsets).
 */
export async function resolvePeriod(s: Services, tenantId: string, q: PeriodQuery): Promise<Result<Period>> {
  const tz = await tenantTimeZone(s, tenantId);
  const now = s.clock.now().toISOString();
  if (q.from || q.to) {
    if (!q.from || !q.to) {
      return fail("validation_failed", "Give both `from` and `to`, or a `period`", {
        errors: [{ path: q.from ? "query.to" : "query.from", message: "Required with the other" }],
      });
    }
    const start = isDate(q.from)
      ? sql`(${q.from}::date::timestamp at time zone ${tz})`
      : sql`${q.from}::timestamptz`;
    const end = isDate(q.to)
      ? sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`
      : sql`${q.to}::timestamptz`;
    const [b] = await s.database.rows<{ s: string; e: string }>(sql`select ${start} as s, ${end} as e`);
    const from = new Date(b.s);
    const to = new Date(b.e);
    if (!(from < to)) {
      return fail("validation_failed", "`from` must come before `to`", {
        errors: [{ path: "query.to", message: "Before from" }],
      });
    }
    if (to.getTime() - from.getTime() > 400 * 86_400_000) {
      return fail("validation_failed", "A range covers at most 400 days", {
        errors: [{ path: "query.from", message: "Range too long" }],
      });
    }
    return ok({ name: "custom", timeZone: tz, from, to });
  }
  const name = q.period ?? "today";
  const unit = name === "week" ? "week" : name === "month" ? "month" : "day";
  const [b] = await s.database.rows<{ s: string }>(
    sql`select date_trunc(${unit}, ${now}::timestamptz at time zone ${tz}) at time zone ${tz} as s`,
  );
  return ok({ name, timeZone: tz, from: new Date(b.s), to: new Date(now) });
}
