import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
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
export async function messageMetrics(s: Services, tenantId: string, p: Period) {
  const [r] = await s.database.rows<{
    inbound: number;
    outbound: number;
    failed: number;
    delivered: number;
    read: number;
    attempted: number;
  }>(sql`
    select
      (count(*) filter (where direction = 'inbound'))::int as inbound,
      (count(*) filter (where direction = 'outbound'))::int as outbound,
      (count(*) filter (where direction = 'outbound' and status = 'failed'))::int as failed,
      (count(*) filter (where direction = 'outbound' and status in ('delivered', 'read')))::int as delivered,
      (count(*) filter (where direction = 'outbound' and status = 'read'))::int as read,
      (count(*) filter (where direction = 'outbound' and status <> 'pending'))::int as attempted
    from messages
    where tenant_id = ${tenantId} and timestamp >= ${ts(p.from)} and timestamp < ${ts(p.to)}`);
  return {
    inbound: r.inbound,
    outbound: r.outbound,
    failed: r.failed,
    delivered: r.delivered,
    read: r.read,
    delivery_rate: rate(r.delivered, r.attempted),
    read_rate: rate(r.read, r.delivered),
  };
}

/**
 * Conversations: `new` (started in the period), `resolved` (resolved in it); `active` and
 * `waiting` are what is open now, whatever the period.
 */
export async function conversationMetrics(s: Services, tenantId: string, p: Period) {
  const [r] = await s.database.rows<{ new: number; resolved: number; active: number; waiting: number }>(sql`
    select
      (select count(*) from conversations where tenant_id = ${tenantId}
        and created_at >= ${ts(p.from)} and created_at < ${ts(p.to)})::int as new,
      (select count(*) from conversations where tenant_id = ${tenantId}
        and resolved_at >= ${ts(p.from)} and resolved_at < ${ts(p.to)})::int as resolved,
      (select count(*) from conversations where tenant_id = ${tenantId} and status = 'active')::int as active,
      (select count(*) from conversations where tenant_id = ${tenantId} and status = 'waiting')::int as waiting`);
  return r;
}

/** Contacts that appeared in the period (deleted ones included: they were new then). */
export async function contactMetrics(s: Services, tenantId: string, p: Period) {
  const [r] = await s.database.rows<{ new: number; total: number }>(sql`
    select
      (count(*) filter (where created_at >= ${ts(p.from)} and created_at < ${ts(p.to)}))::int as new,
      (count(*) filter (where deleted_at is null))::int as total
    from contacts where tenant_id = ${tenantId}`);
  return r;
}

export async function metrics(s: Services, tenantId: string, p: Period, groups: readonly MetricGroup[]) {
  const out: Partial<{
    messages: Awaited<ReturnType<typeof messageMetrics>>;
    conversations: Awaited<ReturnType<typeof conversationMetrics>>;
    contacts: Awaited<ReturnType<typeof contactMetrics>>;
  }> = {};
  if (groups.includes("messages")) out.messages = await messageMetrics(s, tenantId, p);
  if (groups.includes("conversations")) out.conversations = await conversationMetrics(s, tenantId, p);
  if (groups.includes("contacts")) out.contacts = await contactMetrics(s, tenantId, p);
  return out;
}

export const periodView = (p: Period) => ({
  period: p.name,
  time_zone: p.timeZone,
  from: p.from.toISOString(),
  to: p.to.toISOString(),
});
