import { sql } from "drizzle-orm";
import { conversations, users } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { allReads, readSql, runReads } from "../platform/db/reads.ts";
import { type PeriodQuery, resolvePeriod } from "../tenants/period.ts";

export type StatsQuery = PeriodQuery;

interface Totals {
  from: string;
  to: string;
  new: number;
  resolved: number;
  touched: number;
  active: number;
  waiting: number;
  resolved_now: number;
  archived: number;
  open_now: number;
  unassigned_open: number;
  frt_avg: number | null;
  frt_median: number | null;
  frt_count: number;
  res_avg: number | null;
  res_median: number | null;
}

interface AgentRow {
  user_id: string;
  name: string | null;
  assigned: number;
  open_now: number;
  resolved: number;
  frt_avg: number | null;
  frt_median: number | null;
  res_avg: number | null;
}

const secs = (v: number | null) => (v === null ? null : Math.round(Number(v)));

/**
 * Inbox numbers for a period in the tenant's time zone: `today`, this `week` (from Monday),
 * this `month`, or `from`/`to`. Conversations are counted where they happened in the period:
 * new ones by creation, resolved ones by resolution, response and resolution times by when the
 * response or resolution came; the status counts are of conversations with any of those, or a
 * message, in the period. Times are in seconds from the conversation's start.
 */
export async function conversationStats(
  s: Services,
  p: Principal,
  settings: Record<string, unknown> | undefined,
  q: StatsQuery,
): Promise<Result<unknown>> {
  const tenantId = p.tenantId!;
  const period = resolvePeriod(s, settings, q);
  if (!period.ok) return period;
  const { from, to, timeZone: tz } = period.value;
  const start = sql`${from.toISOString()}::timestamptz`;
  const end = sql`${to.toISOString()}::timestamptz`;
  const mine = sql`${conversations.tenantId} = ${tenantId}`;
  const inPeriod = (col: unknown) => sql`(${col} >= b.s and ${col} < b.e)`;
  const frt = sql`extract(epoch from (${conversations.firstResponseAt} - ${conversations.createdAt}))`;
  const res = sql`extract(epoch from (${conversations.resolvedAt} - ${conversations.createdAt}))`;
  const touched = sql`(${inPeriod(conversations.createdAt)} or ${inPeriod(conversations.lastMessageAt)} or ${
    inPeriod(conversations.resolvedAt)
  } or ${inPeriod(conversations.firstResponseAt)})`;

  // Both statements in one batch: one round trip.
  const { totals: [t], agents } = await runReads(
    s.database,
    allReads({
      totals: readSql<Totals>(sql`
      with b as (select ${start} as s, ${end} as e)
      select b.s as from, b.e as to,
        (count(*) filter (where ${inPeriod(conversations.createdAt)}))::int as new,
        (count(*) filter (where ${inPeriod(conversations.resolvedAt)}))::int as resolved,
        (count(*) filter (where ${touched}))::int as touched,
        (count(*) filter (where ${touched} and ${conversations.status} = 'active'))::int as active,
        (count(*) filter (where ${touched} and ${conversations.status} = 'waiting'))::int as waiting,
        (count(*) filter (where ${touched} and ${conversations.status} = 'resolved'))::int as resolved_now,
        (count(*) filter (where ${touched} and ${conversations.status} = 'archived'))::int as archived,
        (count(*) filter (where ${conversations.status} in ('active', 'waiting')))::int as open_now,
        (count(*) filter (where ${conversations.status} in ('active', 'waiting') and ${conversations.assignedTo} is null))::int as unassigned_open,
        avg(${frt}) filter (where ${inPeriod(conversations.firstResponseAt)}) as frt_avg,
        percentile_cont(0.5) within group (order by ${frt}) filter (where ${
        inPeriod(conversations.firstResponseAt)
      }) as frt_median,
        (count(*) filter (where ${inPeriod(conversations.firstResponseAt)}))::int as frt_count,
        avg(${res}) filter (where ${inPeriod(conversations.resolvedAt)}) as res_avg,
        percentile_cont(0.5) within group (order by ${res}) filter (where ${
        inPeriod(conversations.resolvedAt)
      }) as res_median
      from b left join ${conversations} on ${mine}
      group by b.s, b.e`),
      agents: readSql<AgentRow>(sql`
      with b as (select ${start} as s, ${end} as e)
      select ${conversations.assignedTo} as user_id, (select ${users.name} from ${users} where ${users.id} = ${conversations.assignedTo}) as name,
        (count(*) filter (where ${touched}))::int as assigned,
        (count(*) filter (where ${conversations.status} in ('active', 'waiting')))::int as open_now,
        (count(*) filter (where ${inPeriod(conversations.resolvedAt)}))::int as resolved,
        avg(${frt}) filter (where ${inPeriod(conversations.firstResponseAt)}) as frt_avg,
        percentile_cont(0.5) within group (order by ${frt}) filter (where ${
        inPeriod(conversations.firstResponseAt)
      }) as frt_median,
        avg(${res}) filter (where ${inPeriod(conversations.resolvedAt)}) as res_avg
      from ${conversations}, b
      where ${mine} and ${conversations.assignedTo} is not null
        and (${touched} or ${conversations.status} in ('active', 'waiting'))
      group by ${conversations.assignedTo}
      order by 3 desc, 2`),
    }),
  );
  const iso = (v: unknown) => new Date(v as string).toISOString();
  return ok({
    period: period.value.name,
    time_zone: tz,
    from: iso(t.from),
    to: iso(t.to),
    new: t.new,
    resolved: t.resolved,
    by_status: { active: t.active, waiting: t.waiting, resolved: t.resolved_now, archived: t.archived },
    open_now: t.open_now,
    unassigned_open: t.unassigned_open,
    first_response_seconds: { average: secs(t.frt_avg), median: secs(t.frt_median), count: t.frt_count },
    resolution_seconds: { average: secs(t.res_avg), median: secs(t.res_median), count: t.resolved },
    by_agent: agents.map((a) => ({
      user_id: a.user_id,
      name: a.name,
      conversations: a.assigned,
      open_now: a.open_now,
      resolved: a.resolved,
      first_response_seconds: { average: secs(a.frt_avg), median: secs(a.frt_median) },
      resolution_seconds: { average: secs(a.res_avg) },
    })),
  });
}
