import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { messageEvents, messages } from "../../db/schema/index.ts";
import { uuidv7 } from "../core/ids.ts";
import type { Db } from "../platform/db/database.ts";
import { readQuery } from "../platform/db/reads.ts";
import type { Services } from "../services.ts";
import type { InboundStatus, StatusName } from "./inbound/normalized.ts";
import type { ConfigRow } from "./providers/provider.ts";

/**
 * A message only moves forward: pending → sent → delivered → read. Statuses arrive out of order
 * and twice; a `delivered` after `read` is recorded in the timeline and changes nothing else. A
 * failure counts only before delivery.
 */
const RANK: Record<string, number> = { pending: 0, sent: 1, failed: 1.5, delivered: 2, read: 3 };

const rankSql = sql`case ${messages.status} when 'pending' then 0 when 'sent' then 1 when 'failed' then 1.5
  when 'delivered' then 2 when 'read' then 3 else 99 end`;

/** Moves the message to `status` if that is forward; answers whether it moved. */
export async function advanceStatus(
  s: Services,
  messageId: string,
  st: { status: StatusName; timestamp: Date; error?: InboundStatus["error"] },
): Promise<typeof messages.$inferSelect | undefined> {
  const at = st.timestamp;
  const reached = (from: StatusName) => RANK[st.status] >= RANK[from] && st.status !== "failed";
  const [row] = await s.database.db.update(messages).set({
    status: st.status,
    ...(reached("sent")
      ? { sentAt: sql`coalesce(${messages.sentAt}, ${at.toISOString()}::timestamptz)` }
      : {}),
    ...(reached("delivered")
      ? { deliveredAt: sql`coalesce(${messages.deliveredAt}, ${at.toISOString()}::timestamptz)` }
      : {}),
    ...(reached("read")
      ? { readAt: sql`coalesce(${messages.readAt}, ${at.toISOString()}::timestamptz)` }
      : {}),
    ...(st.status === "failed"
      ? {
        failedAt: at,
        errorCode: st.error?.code ?? "unknown",
        errorTitle: st.error?.title ?? "The message could not be delivered",
        errorDetail: st.error?.detail ?? null,
      }
      : {}),
  }).where(and(eq(messages.id, messageId), sql`${rankSql} < ${RANK[st.status]}`)).returning();
  return row;
}

export interface StatusOutcome {
  messageId: string | null;
  moved?: typeof messages.$inferSelect;
}

/**
 * Records one reported status in the message's timeline (once per status) and advances the
 * message. A status for a message whose send has not stored its provider id yet waits in the
 * timeline without a message; `attachEarlyStatuses` applies it when the id is known.
 */
export async function recordStatus(
  s: Services,
  config: ConfigRow,
  st: InboundStatus,
): Promise<StatusOutcome | null> {
  const { db } = s.database;
  const [message] = await db.select({ id: messages.id }).from(messages)
    .where(and(eq(messages.configId, config.id), eq(messages.providerMessageId, st.providerMessageId)));
  const inserted = await db.insert(messageEvents).values({
    id: uuidv7(),
    tenantId: config.tenantId,
    configId: config.id,
    messageId: message?.id ?? null,
    providerMessageId: st.providerMessageId,
    status: st.status,
    errorCode: st.error?.code ?? null,
    errorTitle: st.error?.title ?? null,
    detail: { ...st.detail, ...(st.error?.detail ? { error_detail: st.error.detail } : {}) },
    occurredAt: st.timestamp,
  }).onConflictDoNothing().returning({ id: messageEvents.id });
  if (inserted.length === 0) return null; // a redelivered status
  if (!message) return { messageId: null };
  return { messageId: message.id, moved: await advanceStatus(s, message.id, st) };
}

/**
 * Attaches the statuses that arrived before a send stored its provider id, as a statement for the
 * batch that stores it; `applyEarlyStatuses` then moves the message on with what it returned.
 */
export const attachEarlyStatuses = (
  db: Db,
  config: ConfigRow,
  providerMessageId: string,
  messageId: string,
) =>
  db.update(messageEvents).set({ messageId })
    .where(and(
      eq(messageEvents.configId, config.id),
      eq(messageEvents.providerMessageId, providerMessageId),
      isNull(messageEvents.messageId),
    )).returning();

/** The message after the early statuses, oldest first (none, almost always: no round trip). */
export async function applyEarlyStatuses(
  s: Services,
  messageId: string,
  early: (typeof messageEvents.$inferSelect)[],
): Promise<typeof messages.$inferSelect | undefined> {
  let last: typeof messages.$inferSelect | undefined;
  for (const e of early.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())) {
    last = await advanceStatus(s, messageId, {
      status: e.status as StatusName,
      timestamp: e.occurredAt,
      ...(e.errorCode ? { error: { code: e.errorCode, title: e.errorTitle ?? "failed" } } : {}),
    }) ?? last;
  }
  return last;
}

/** The timeline of a message: every status reported, oldest first (a read to batch). */
export function statusTimelineRead(tenantId: string, messageId: string) {
  return readQuery((db) =>
    db.select().from(messageEvents)
      .where(and(eq(messageEvents.messageId, messageId), eq(messageEvents.tenantId, tenantId)))
      .orderBy(asc(messageEvents.occurredAt), asc(messageEvents.createdAt))
  );
}
