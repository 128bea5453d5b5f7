import { sql } from "drizzle-orm";
import { allReads, mapRead, type Reads, readSql } from "../platform/db/reads.ts";
import type { Period } from "../tenants/period.ts";

export const metricGroups = ["messages", "conversations", "contacts"] as const;
export type MetricGroup = typeof metricGroups[number];

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const rate = (
  part: number,
  whole: number,
) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/**
 * Messages in the period, by the time they happened: received, sent (every outbound message,
 * failed ones included), failed; `delivery_rate` = delivered or read / outbound that left
 * (sent, delivered, read or failed: not those still pending); `read_rate` = read / delivered.
 */
export function messageMetrics(tenantId: string, p: Period) {
  return readSql<{
    inbound: number;
    outbound: number;
    failed: number;
    delivered: number;
    read: number;
    attempted: number;
  }, MessageMetrics>(
    sql`
    select
      (count(*) filter (where direction = 'inbound'))::int as inbound,
      (count(*) filter (where direction = 'outbound'))::int as outbound,
      (count(*) filter (where direction = 'outbound' and status = 'failed'))::int as failed,
      (count(*) filter (where direction = 'outbound' and status in ('delivered', 'read')))::int as delivered,
      (count(*) filter (where direction = 'outbound' and status = 'read'))::int as read,
      (count(*) filter (where direction = 'outbound' and status <> 'pending'))::int as attempted
    from messages
    where tenant_id = ${tenantId} and timestamp >= ${ts(p.from)} and timestamp < ${ts(p.to)}`,
    ([r]) => ({
      inbound: r.inbound,
      outbound: r.outbound,
      failed: r.failed,
      delivered: r.delivered,
      read: r.read,
      delivery_rate: rate(r.delivered, r.attempted),
      read_rate: rate(r.read, r.delivered),
    }),
  );
}

export interface MessageMetrics {
  inbound: number;
  outbound: number;
  failed: number;
  delivered: number;
  read: number;
  delivery_rate: number | null;
  read_rate: number | null;
}

/**
 * Conversations: `new` (started in the period), `resolved` (resolved in it); `active` and
 * `waiting` are what is open now, whatever the period.
 */
export function conversationMetrics(tenantId: string, p: Period) {
  return readSql<ConversationMetrics, ConversationMetrics>(
    sql`
    select
      (select count(*) from conversations where tenant_id = ${tenantId}
        and created_at >= ${ts(p.from)} and created_at < ${ts(p.to)})::int as new,
      (select count(*) from conversations where tenant_id = ${tenantId}
        and resolved_at >= ${ts(p.from)} and resolved_at < ${ts(p.to)})::int as resolved,
      (select count(*) from conversations where tenant_id = ${tenantId} and status = 'active')::int as active,
      (select count(*) from conversations where tenant_id = ${tenantId} and status = 'waiting')::int as waiting`,
    ([r]) => r,
  );
}

export interface ConversationMetrics {
  new: number;
  resolved: number;
  active: number;
  waiting: number;
}

/** Contacts that appeared in the period (deleted ones included: they were new then). */
export function contactMetrics(tenantId: string, p: Period) {
  return readSql<{ new: number; total: number }, { new: number; total: number }>(
    sql`
    select
      (count(*) filter (where created_at >= ${ts(p.from)} and created_at < ${ts(p.to)}))::int as new,
      (count(*) filter (where deleted_at is null))::int as total
    from contacts where tenant_id = ${tenantId}`,
    ([r]) => r,
  );
}

/** The groups asked for, in one batch. */
export function metrics(
  tenantId: string,
  p: Period,
  groups: readonly MetricGroup[],
): Reads<
  Partial<
    { messages: MessageMetrics; conversations: ConversationMetrics; contacts: { new: number; total: number } }
  >
> {
  const parts = {
    ...(groups.includes("messages") ? { messages: messageMetrics(tenantId, p) } : {}),
    ...(groups.includes("conversations") ? { conversations: conversationMetrics(tenantId, p) } : {}),
    ...(groups.includes("contacts") ? { contacts: contactMetrics(tenantId, p) } : {}),
  };
  return mapRead(allReads(parts), (r) => r);
}

export const periodView = (p: Period) => ({
  period: p.name,
  time_zone: p.timeZone,
  from: p.from.toISOString(),
  to: p.to.toISOString(),
});
