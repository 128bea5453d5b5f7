import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { contacts, conversations, users } from "../../db/schema/index.ts";
import { effectivePermissions } from "../auth/principal-state.ts";
import { isPermission } from "../auth/permissions.ts";
import { canTakeConversations } from "../conversations/conversation-rules.ts";
import type { Db } from "../platform/db/database.ts";
import { allReads, mapRead, readQuery, type Reads, runReads } from "../platform/db/reads.ts";
import type { Services } from "../services.ts";
import { operationalSettings } from "../tenants/tenant-settings.ts";

export type Thresholds = ReturnType<typeof operationalSettings>;

/** The tenant's thresholds, from its settings as authentication cached them (no round trip). */
export const thresholds = (settings: Record<string, unknown> | null | undefined): Thresholds =>
  operationalSettings(settings);

export type SlaState = "ok" | "warning" | "breached";

/** Past the SLA: breached; past 80% of it: warning. */
export const slaState = (waitSeconds: number, slaMinutes: number): SlaState =>
  waitSeconds >= slaMinutes * 60 ? "breached" : waitSeconds >= slaMinutes * 48 ? "warning" : "ok";

const row = {
  id: conversations.id,
  status: conversations.status,
  priority: conversations.priority,
  tags: conversations.tags,
  configId: conversations.configId,
  assignedTo: conversations.assignedTo,
  agentName: users.name,
  statusChangedAt: conversations.statusChangedAt,
  createdAt: conversations.createdAt,
  lastMessageAt: conversations.lastMessageAt,
  lastInboundAt: conversations.lastInboundAt,
  firstResponseAt: conversations.firstResponseAt,
  unreadCount: conversations.unreadCount,
  contactId: contacts.id,
  contactName: sql<string | null>`coalesce(${contacts.name}, ${contacts.profileName})`,
  contactPhone: contacts.phone,
};

const base = (db: Db) =>
  db.select(row).from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .leftJoin(users, eq(users.id, conversations.assignedTo));

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * The queue: waiting conversations, the longest waiting first, with how long (since they
 * entered `waiting`) and where that stands against the tenant's first-response SLA.
 */
export function queue(tenantId: string, limit: number, t: Thresholds, nowDate: Date) {
  const { slaFirstResponseMinutes } = t;
  const now = nowDate.getTime();
  const where = and(eq(conversations.tenantId, tenantId), eq(conversations.status, "waiting"));
  const slaCutoff = new Date(now - slaFirstResponseMinutes * 60_000).toISOString();
  const parts = allReads({
    rows: readQuery((db) =>
      base(db).where(where).orderBy(asc(conversations.statusChangedAt), asc(conversations.id)).limit(limit)
    ),
    counts: readQuery((db) =>
      db.select({
        n: sql<number>`count(*)::int`,
        late: sql<
          number
        >`(count(*) filter (where coalesce(${conversations.statusChangedAt}, ${conversations.createdAt}) <= ${slaCutoff}::timestamptz))::int`,
      }).from(conversations).where(where)
    ),
  });
  return mapRead(parts, ({ rows, counts: [{ n, late }] }) => {
    const items = rows.map((r) => {
      const since = r.statusChangedAt ?? r.createdAt;
      const wait = Math.max(0, Math.round((now - since.getTime()) / 1000));
      return {
        conversation_id: r.id,
        contact: { id: r.contactId, name: r.contactName, phone: r.contactPhone },
        priority: r.priority,
        tags: r.tags,
        config_id: r.configId,
        waiting_since: since.toISOString(),
        wait_seconds: wait,
        sla: { minutes: slaFirstResponseMinutes, state: slaState(wait, slaFirstResponseMinutes) },
        unread_count: r.unreadCount,
        last_inbound_at: iso(r.lastInboundAt),
      };
    });
    return {
      total: n,
      breached: late,
      sla_minutes: slaFirstResponseMinutes,
      items,
    };
  });
}

/** Conversations being handled now (`active`), newest activity first, with their agent. */
export function activeConversations(tenantId: string, limit: number, nowDate: Date) {
  const where = and(eq(conversations.tenantId, tenantId), eq(conversations.status, "active"));
  const parts = allReads({
    rows: readQuery((db) =>
      base(db).where(where).orderBy(
        sql`${conversations.lastMessageAt} desc nulls last`,
        desc(conversations.id),
      )
        .limit(limit)
    ),
    counts: readQuery((db) => db.select({ n: sql<number>`count(*)::int` }).from(conversations).where(where)),
  });
  const now = nowDate.getTime();
  return mapRead(parts, ({ rows, counts: [{ n }] }) => ({
    total: n,
    items: rows.map((r) => ({
      conversation_id: r.id,
      contact: { id: r.contactId, name: r.contactName, phone: r.contactPhone },
      agent: r.assignedTo ? { id: r.assignedTo, name: r.agentName } : null,
      priority: r.priority,
      tags: r.tags,
      config_id: r.configId,
      active_since: (r.statusChangedAt ?? r.createdAt).toISOString(),
      duration_seconds: Math.max(0, Math.round((now - (r.statusChangedAt ?? r.createdAt).getTime()) / 1000)),
      last_message_at: iso(r.lastMessageAt),
      awaiting_reply: r.lastInboundAt !== null &&
        (r.firstResponseAt === null || (r.lastMessageAt !== null && r.lastInboundAt >= r.lastMessageAt)),
      unread_count: r.unreadCount,
    })),
  }));
}

/**
 * The team: every active user who can take conversations, whether they are online (a live
 * WebSocket), how many open conversations each holds against the tenant's capacity per agent.
 */
export function agentRows(tenantId: string) {
  return allReads({
    people: readQuery((db) =>
      db.select({
        id: users.id,
        name: users.name,
        email: users.email,
        role: users.role,
        permissions: users.permissions,
      }).from(users).where(
        and(eq(users.tenantId, tenantId), eq(users.status, "active"), isNull(users.deletedAt)),
      ).orderBy(asc(users.name))
    ),
    load: readQuery((db) =>
      db.select({
        userId: conversations.assignedTo,
        active: sql<number>`(count(*) filter (where ${conversations.status} = 'active'))::int`,
        waiting: sql<number>`(count(*) filter (where ${conversations.status} = 'waiting'))::int`,
      }).from(conversations).where(and(
        eq(conversations.tenantId, tenantId),
        inArray(conversations.status, ["active", "waiting"]),
      )).groupBy(conversations.assignedTo)
    ),
  });
}

type AgentRows = typeof agentRows extends (...a: never[]) => Reads<infer T> ? T : never;

/** The team from its rows and who is online (the realtime port, not the database). */
export function team({ people, load }: AgentRows, online: readonly string[], t: Thresholds) {
  const { agentCapacity } = t;
  const loadOf = new Map(load.map((l) => [l.userId, l]));
  const onlineSet = new Set(online);
  const list = people
    .filter((u) => canTakeConversations(effectivePermissions(u.role, u.permissions.filter(isPermission))))
    .map((u) => {
      const l = loadOf.get(u.id);
      const open = (l?.active ?? 0) + (l?.waiting ?? 0);
      return {
        user_id: u.id,
        name: u.name,
        email: u.email,
        role: u.role,
        online: onlineSet.has(u.id),
        active_conversations: l?.active ?? 0,
        waiting_conversations: l?.waiting ?? 0,
        capacity: agentCapacity,
        utilization: Math.round((open / agentCapacity) * 100) / 100,
        available: onlineSet.has(u.id) && open < agentCapacity,
      };
    });
  return {
    online: list.filter((a) => a.online).length,
    total: list.length,
    capacity_per_agent: agentCapacity,
    unassigned_open: (loadOf.get(null)?.active ?? 0) + (loadOf.get(null)?.waiting ?? 0),
    agents: list,
  };
}

/** The team on its own: one batch, and the realtime port asked meanwhile. */
export async function agents(s: Services, tenantId: string, t: Thresholds) {
  const [rows, online] = await Promise.all([
    runReads(s.database, agentRows(tenantId)),
    s.realtime.online(tenantId),
  ]);
  return team(rows, online, t);
}
