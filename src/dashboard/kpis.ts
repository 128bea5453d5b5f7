import { sql } from "drizzle-orm";
import { allReads, mapRead, readSql } from "../platform/db/reads.ts";
import type { Period } from "../tenants/period.ts";

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const secs = (v: number | string | null) => (v === null ? null : Math.round(Number(v)));

interface Durations {
  count: number;
  avg: number | null;
  median: number | null;
  p95: number | null;
}

const durations = (r: Durations) => ({
  count: r.count,
  average: secs(r.avg),
  median: secs(r.median),
  p95: secs(r.p95),
});

/**
 * The service-level figures of a period:
 * - first response: conversations answered by an agent for the first time in the period, in
 *   seconds from the conversation's start (average, median, 95th percentile);
 * - resolution time: conversations resolved in the period, seconds from their start;
 * - resolution rate: of the conversations started in the period, the share resolved by now;
 * - messages per conversation: messages in the period / conversations that had any;
 * - handled by: conversations with outbound messages in the period, by whether an agent wrote
 *   (`agent`) or only automation did (bot, API: `bot`).
 */
export function kpis(tenantId: string, p: Period) {
  const first = <T>(rows: T[]) => rows[0];
  const frt = readSql<Durations, Durations>(
    sql`
    select count(*)::int as count, avg(d) as avg,
      percentile_cont(0.5) within group (order by d) as median,
      percentile_cont(0.95) within group (order by d) as p95
    from (select extract(epoch from first_response_at - created_at) as d from conversations
      where tenant_id = ${tenantId} and first_response_at >= ${ts(p.from)} and first_response_at < ${
      ts(p.to)
    }) x`,
    first,
  );
  const res = readSql<Durations, Durations>(
    sql`
    select count(*)::int as count, avg(d) as avg,
      percentile_cont(0.5) within group (order by d) as median,
      percentile_cont(0.95) within group (order by d) as p95
    from (select extract(epoch from resolved_at - created_at) as d from conversations
      where tenant_id = ${tenantId} and resolved_at >= ${ts(p.from)} and resolved_at < ${ts(p.to)}) x`,
    first,
  );
  const rate = readSql<{ started: number; resolved: number }, { started: number; resolved: number }>(
    sql`
    select count(*)::int as started, (count(*) filter (where resolved_at is not null))::int as resolved
    from conversations
    where tenant_id = ${tenantId} and created_at >= ${ts(p.from)} and created_at < ${ts(p.to)}`,
    first,
  );
  type Traffic = { messages: number; conversations: number; agent: number; bot: number };
  const traffic = readSql<Traffic, Traffic>(
    sql`
    with m as (
      select conversation_id, direction, sender_type from messages
      where tenant_id = ${tenantId} and timestamp >= ${ts(p.from)} and timestamp < ${ts(p.to)}
    ), per as (
      select conversation_id,
        bool_or(direction = 'outbound' and sender_type = 'agent') as by_agent,
        bool_or(direction = 'outbound' and sender_type <> 'agent') as by_bot
      from m group by conversation_id
    )
    select (select count(*) from m)::int as messages, (select count(*) from per)::int as conversations,
      (select count(*) from per where by_agent)::int as agent,
      (select count(*) from per where by_bot and not by_agent)::int as bot`,
    first,
  );
  return mapRead(allReads({ frt, res, rate, traffic }), ({ frt, res, rate, traffic }) => ({
    first_response_seconds: durations(frt),
    resolution_seconds: durations(res),
    resolution_rate: rate.started === 0 ? null : Math.round((rate.resolved / rate.started) * 10_000) / 10_000,
    conversations_started: rate.started,
    conversations_resolved_of_started: rate.resolved,
    messages_per_conversation: traffic.conversations === 0
      ? null
      : Math.round((traffic.messages / traffic.conversations) * 100) / 100,
    handled_by: { agent: traffic.agent, bot: traffic.bot },
  }));
}
