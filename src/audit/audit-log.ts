import type { Context } from "hono";
import { auditLog } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import type { AppEnv } from "../http/app-env.ts";
import type { SQL } from "drizzle-orm";
import type { Db } from "../platform/db/database.ts";
import { insertWhere } from "../platform/db/insert-where.ts";
import type { Services } from "../services.ts";

/** Where a request came from; the HTTP edge builds it, domain code records it. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  principal?: Principal;
}

export function requestMeta(c: Context<AppEnv>): RequestMeta {
  return {
    ip: c.env?.clientIp ?? null,
    userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
    requestId: c.get("requestId"),
    principal: c.get("principal"),
  };
}

export interface AuditEntry {
  action: string;
  tenantId?: string | null;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
  /** Who did it, when no principal is authenticated (a login attempt names the account). */
  actor?: { type: "user" | "anonymous" | "system"; id?: string | null };
}

type Row = typeof auditLog.$inferInsert;

function actorOf(principal: Principal | undefined, entry: AuditEntry): Pick<Row, "actorType" | "actorId"> {
  if (entry.actor) return { actorType: entry.actor.type, actorId: entry.actor.id ?? null };
  if (principal?.kind === "user") return { actorType: "user", actorId: principal.userId };
  if (principal?.kind === "api_key") return { actorType: "api_key", actorId: principal.keyId };
  return { actorType: "anonymous", actorId: null };
}

export function auditRow(meta: RequestMeta, entry: AuditEntry, now: Date): Row {
  return {
    id: uuidv7(),
    tenantId: entry.tenantId !== undefined ? entry.tenantId : meta.principal?.tenantId ?? null,
    ...actorOf(meta.principal, entry),
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
    metadata: entry.metadata ?? null,
    createdAt: now,
  };
}

/** A statement to put in the same `atomic` batch as the change it records. */
export const auditInsert = (db: Db, meta: RequestMeta, entry: AuditEntry, now: Date) =>
  db.insert(auditLog).values(auditRow(meta, entry, now));

/** Like `auditInsert`, but only when `condition` holds when the batch reaches it. */
export const auditInsertWhere = (db: Db, meta: RequestMeta, entry: AuditEntry, now: Date, condition: SQL) =>
  insertWhere(db, auditLog, auditRow(meta, entry, now), condition);

/** Records an action on its own (a login, a failure: nothing else is written with it). */
export async function audit(s: Services, meta: RequestMeta, entry: AuditEntry): Promise<void> {
  await s.database.db.insert(auditLog).values(auditRow(meta, entry, s.clock.now()));
}
