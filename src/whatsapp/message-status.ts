import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { contacts, messageEvents, messages } from "../../db/schema/index.ts";
import { contactSummary } from "../contacts/contact-view.ts";
import type { EventInput } from "../events/events.ts";
import { messageEvent } from "../events/payloads.ts";
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

type Advance = { status: StatusName; timestamp: Date; error?: InboundStatus["error"] };

/** The columns a status moves, each time kept from its first report. */
function advanceSet(st: Advance) {
  const at = st.timestamp;
  const reached = (from: StatusName) => RANK[st.status] >= RANK[from] && st.status !== "failed";
  return {
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
  };
}

/** Only forward: the message's rank must be below the status's. */
const isForward = (st: Advance) => sql`${rankSql} < ${RANK[st.status]}`;

/** Moves the message to `status` if that is forward; answers the message if it moved. */
export async function advanceStatus(
  s: Services,
  messageId: string,
  st: Advance,
): Promise<typeof messages.$inferSelect | undefined> {
  const [row] = await s.database.db.update(messages).set(advanceSet(st))
    .where(and(eq(messages.id, messageId), isForward(st))).returning();
  return row;
}

/**
 * One reported status as statements for the webhook's write batch: recorded in the message's
 * timeline (once per status: a redelivery changes nothing) and the message advanced, in one
 * statement; then the message's contact, for the event's snapshot. A status for a message whose
 * send has not stored its provider id yet waits in the timeline without a message;
 * `attachEarlyStatuses` applies it when the id is known. Decodes to the event, if it moved.
 */
export function statusWrite(config: ConfigRow, st: InboundStatus) {
  const target = and(eq(messages.configId, config.id), eq(messages.providerMessageId, st.providerMessageId));
  return {
    statements(db: Db) {
      const found = db.$with("found").as(db.select({ id: messages.id }).from(messages).where(target));
      const logged = db.$with("logged").as(
        db.insert(messageEvents).values({
          id: uuidv7(),
          tenantId: config.tenantId,
          configId: config.id,
          messageId: sql`(select id from found)`,
          providerMessageId: st.providerMessageId,
          status: st.status,
          errorCode: st.error?.code ?? null,
          errorTitle: st.error?.title ?? null,
          detail: { ...st.detail, ...(st.error?.detail ? { error_detail: st.error.detail } : {}) },
          occurredAt: st.timestamp,
        }).onConflictDoNothing().returning({ id: messageEvents.id }),
      );
      return [
        db.with(found, logged).update(messages).set(advanceSet(st)).where(and(
          sql`${messages.id} = (select id from found)`,
          sql`exists (select 1 from logged)`,
          isForward(st),
        )).returning(),
        db.select().from(contacts).where(
          sql`${contacts.id} = (select ${messages.contactId} from ${messages} where ${target})`,
        ),
      ];
    },
    decode([moved, contact]: unknown[]): EventInput[] {
      const [m] = moved as (typeof messages.$inferSelect)[];
      const [c] = contact as (typeof contacts.$inferSelect)[];
      if (!m || !c) return [];
      return [{
        type: STATUS_EVENTS[st.status],
        tenantId: config.tenantId,
        data: messageEvent(m, contactSummary(c)),
      }];
    },
  };
}

const STATUS_EVENTS = {
  sent: "message.sent",
  delivered: "message.delivered",
  read: "message.read",
  failed: "message.failed",
} as const;

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
