import { type SQL, sql } from "drizzle-orm";
import { fail, ok, type Result } from "../core/result.ts";
import { mapRead, type Reads, readSql } from "../platform/db/reads.ts";
import type { Period } from "../tenants/period.ts";

export const chartIntervals = ["hourly", "daily", "weekly"] as const;
export type ChartInterval = typeof chartIntervals[number];

interface Series {
  description: string;
  /** Rows of the tenant in `[from, to)` with their instant as `t` (and `v` for averages). */
  rows: (tenantId: string, from: SQL, to: SQL) => SQL;
  aggregate: "count" | "avg";
}

/**
 * Rows of a tenant's table whose `at` column falls in the period, as `t` (and `value` as `v`,
 * for averages), filtered further by `where`.
 */
const timed =
  (table: string, at: string, opts: { where?: SQL; value?: SQL } = {}) =>
  (tenantId: string, from: SQL, to: SQL) =>
    sql`select ${sql.identifier(at)} as t, ${opts.value ?? sql`null`}::float8 as v from ${
      sql.identifier(table)
    }
    where tenant_id = ${tenantId} and ${sql.identifier(at)} >= ${from} and ${sql.identifier(at)} < ${to}
    ${opts.where ? sql`and ${opts.where}` : sql``}`;

const count = (description: string, rows: Series["rows"]): Series => ({
  description,
  rows,
  aggregate: "count",
});

/** What a chart can show. Counts are zero when nothing happened; averages are null then. */
export const chartMetrics: Record<string, Series> = {
  messages_inbound: count(
    "Messages received",
    timed("messages", "timestamp", { where: sql`direction = 'inbound'` }),
  ),
  messages_outbound: count(
    "Messages sent",
    timed("messages", "timestamp", { where: sql`direction = 'outbound'` }),
  ),
  messages_failed: count(
    "Outbound messages that failed",
    timed("messages", "timestamp", { where: sql`direction = 'outbound' and status = 'failed'` }),
  ),
  conversations_new: count("Conversations started", timed("conversations", "created_at")),
  conversations_resolved: count("Conversations resolved", timed("conversations", "resolved_at")),
  contacts_new: count("New contacts", timed("contacts", "created_at")),
  first_response_seconds: {
    description: "Average first-response time (seconds) of the conversations first answered then",
    rows: timed("conversations", "first_response_at", {
      value: sql`extract(epoch from first_response_at - created_at)`,
    }),
    aggregate: "avg",
  },
};

export const chartMetricNames = Object.keys(chartMetrics);

const HOURLY_MAX_DAYS = 31;

export interface Bucket {
  start: string;
  end: string;
  /** The bucket's start on the tenant's wall clock: `2026-11-26 14:00`, or `2026-11-26` for days. */
  label: string;
  value: number | null;
}

/**
 * A metric in buckets covering the period, every bucket present (zero-filled), in the tenant's
 * zone. Days and weeks are calendar days and weeks there, so a daylight-saving day is 23 or 25
 * hours long; hours are real hours, so a day when clocks go back has the repeated hour twice
 * (the labels say the same wall time, the instants differ) and a day when they go forward
 * lacks the skipped one.
 */
export interface ChartSeries {
  metric: string;
  interval: ChartInterval;
  aggregate: "count" | "avg";
  buckets: Bucket[];
}

export function chart(
  tenantId: string,
  p: Period,
  metric: string,
  interval: ChartInterval,
): Result<Reads<ChartSeries>> {
  const series = chartMetrics[metric];
  if (!series) {
    return fail("not_found", `No chart for ${metric}; one of ${chartMetricNames.join(", ")}`);
  }
  if (interval === "hourly" && p.to.getTime() - p.from.getTime() > HOURLY_MAX_DAYS * 86_400_000) {
    return fail("validation_failed", `Hourly charts cover at most ${HOURLY_MAX_DAYS} days`, {
      errors: [{ path: "query.interval", message: "Use daily or weekly for longer periods" }],
    });
  }
  const tz = p.timeZone;
  const from = sql`${p.from.toISOString()}::timestamptz`;
  const to = sql`${p.to.toISOString()}::timestamptz`;
  // Each row's bucket is computed from its own time (one pass over the rows, then a join of at
  // most a few hundred groups), not by comparing every row with every bucket.
  const firstHour = sql`(date_trunc('hour', ${from} at time zone ${tz}) at time zone ${tz})`;
  const step = interval === "weekly" ? sql`interval '7 days'` : sql`interval '1 day'`;
  const unit = interval === "weekly" ? "week" : "day";
  const buckets = interval === "hourly"
    ? sql`select g as s, g + interval '1 hour' as e, to_char(g at time zone ${tz}, 'YYYY-MM-DD HH24:MI') as label,
          (n - 1)::int as k
        from generate_series(${firstHour}, ${to} - interval '1 microsecond', interval '1 hour')
          with ordinality as t(g, n)`
    : sql`select d::timestamp at time zone ${tz} as s, (d + ${step})::timestamp at time zone ${tz} as e,
          to_char(d, 'YYYY-MM-DD') as label, d::date as k
        from generate_series(date_trunc(${unit}, ${from} at time zone ${tz}),
          (${to} - interval '1 microsecond') at time zone ${tz}, ${step}) as d`;
  const keyOf = interval === "hourly"
    ? sql`floor(extract(epoch from (x.t - ${firstHour})) / 3600)::int`
    : sql`date_trunc(${unit}, x.t at time zone ${tz})::date`;
  const value = series.aggregate === "count" ? sql`count(*)::float8` : sql`avg(x.v)`;
  const rows = readSql<{ s: string; e: string; label: string; value: number | null }>(sql`
    with b as (${buckets}), x as (${series.rows(tenantId, from, to)}),
      g as (select ${keyOf} as k, ${value} as value from x group by 1)
    select b.s, b.e, b.label, ${
    series.aggregate === "count" ? sql`coalesce(g.value, 0)` : sql`g.value`
  } as value
    from b left join g on g.k = b.k order by b.s`);
  return ok(mapRead(rows, (rows) => ({
    metric,
    interval,
    aggregate: series.aggregate,
    buckets: rows.map((r) => ({
      start: new Date(r.s).toISOString(),
      end: new Date(r.e).toISOString(),
      label: r.label,
      value: r.value === null
        ? null
        : series.aggregate === "avg"
        ? Math.round(Number(r.value))
        : Number(r.value),
    })),
  })));
}
