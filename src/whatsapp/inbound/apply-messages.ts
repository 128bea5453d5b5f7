import { and, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { contacts, conversations, messages } from "../../../db/schema/index.ts";
import { contactSummary } from "../../contacts/contact-view.ts";
import { type ConversationJoined, selectConversations } from "../../conversations/conversation-view.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { EventInput } from "../../events/events.ts";
import { contactEvent, conversationEvent, messageEvent } from "../../events/payloads.ts";
import type { Db } from "../../platform/db/database.ts";
import { allReads, readQuery, runReads } from "../../platform/db/reads.ts";
import type { Services } from "../../services.ts";
import type { ContactRow } from "../contact-upsert.ts";
import { phoneVariants, toE164 } from "../phone.ts";
import type { ConfigRow } from "../providers/provider.ts";
import type { InboundMessage } from "./normalized.ts";

const WINDOW_MS = 24 * 3600_000;
const SEEN_REFRESH_MS = 300_000;

export interface MessageItem {
  config: ConfigRow;
  message: InboundMessage;
}

type MessageRow = typeof messages.$inferSelect;
type ConversationRow = typeof conversations.$inferSelect;

const key = (...parts: string[]) => parts.join("|");

/** Statements for a write batch and how to read what they did. */
export interface WritePlan<T> {
  statements(db: Db): BatchItem<"pg">[];
  decode(results: unknown[]): T;
}

/**
 * Inbound messages (any number of them, from any numbers) in two round trips whatever their
 * count (ROUND_TRIP_BUDGET.inboundProcessed): `readMessages` finds every contact and conversation
 * they touch in one batch; the plan it answers writes everything in one more (contacts created or
 * refreshed, conversations reopened or opened, messages inserted once each — the provider id is
 * unique per number — conversations moved), which the caller may share with other statements
 * (marking the webhook processed). Ids are made here, so no statement waits for another's answer.
 * A race lost to a concurrent writer (a contact or conversation created meanwhile) fails the
 * batch as a whole, and the pipeline applies the event again, finding the winner's rows.
 */
export async function readMessages(s: Services, items: MessageItem[]): Promise<WritePlan<EventInput[]>> {
  const now = s.clock.now();
  const ready = items.flatMap((item) => {
    const phone = toE164(item.message.from, { lenient: true });
    if (!phone) {
      s.obs.log.warn("inbound message from an unparseable number", {
        service: "whatsapp",
        from: item.message.from,
      });
      return [];
    }
    return [{ ...item, phone, tenantId: item.config.tenantId }];
  });
  if (ready.length === 0) return { statements: () => [], decode: () => [] };

  const tenantIds = [...new Set(ready.map((r) => r.tenantId))];
  const variants = [...new Set(ready.flatMap((r) => phoneVariants(r.phone)))];
  const configIds = [...new Set(ready.map((r) => r.config.id))];
  const known = and(
    inArray(contacts.tenantId, tenantIds),
    inArray(contacts.phone, variants),
    isNull(contacts.deletedAt),
  );
  // Contacts by every form of their numbers, and each one's conversation per number: the open one
  // first, else the latest resolved.
  const found = await runReads(
    s.database,
    allReads({
      contacts: readQuery((db) => db.select().from(contacts).where(known)),
      threads: readQuery((db) =>
        db.selectDistinctOn([conversations.contactId, conversations.configId]).from(conversations).where(and(
          sql`${conversations.contactId} in (select ${contacts.id} from ${contacts} where ${known})`,
          inArray(conversations.configId, configIds),
          inArray(conversations.status, ["active", "waiting", "resolved"]),
        )).orderBy(
          conversations.contactId,
          conversations.configId,
          sql`(${conversations.status} in ('active', 'waiting')) desc`,
          sql`${conversations.lastMessageAt} desc nulls last`,
        )
      ),
    }),
  );

  const byPhone = new Map<string, ContactRow>(found.contacts.map((c) => [key(c.tenantId, c.phone), c]));
  const contactOf = (tenantId: string, phone: string) =>
    phoneVariants(phone).map((v) => byPhone.get(key(tenantId, v))).find(Boolean);

  // Contacts: new ones made here; known ones refreshed with what WhatsApp says about them.
  const newContacts = new Map<string, ContactRow>();
  const changed = new Map<string, Partial<ContactRow>>();
  for (const r of ready) {
    const m = r.message;
    const existing = contactOf(r.tenantId, r.phone) ?? newContacts.get(key(r.tenantId, r.phone));
    if (!existing) {
      newContacts.set(key(r.tenantId, r.phone), {
        id: uuidv7(),
        tenantId: r.tenantId,
        phone: r.phone,
        waId: m.from,
        profileName: m.fromBusiness ? null : m.profileName ?? null,
        name: m.fromBusiness ? null : m.profileName ?? null,
        email: null,
        tags: [],
        attributes: {},
        optIn: null,
        optInAt: null,
        optOutAt: null,
        blocked: false,
        lastSeenAt: m.fromBusiness ? null : m.timestamp,
        deletedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      continue;
    }
    if (m.fromBusiness || newContacts.has(key(r.tenantId, r.phone))) continue;
    const current = { ...existing, ...changed.get(existing.id) };
    const changes = {
      ...changed.get(existing.id),
      ...(m.from !== current.waId ? { waId: m.from } : {}),
      ...(m.profileName && m.profileName !== current.profileName ? { profileName: m.profileName } : {}),
      ...(!current.lastSeenAt || m.timestamp.getTime() - current.lastSeenAt.getTime() > SEEN_REFRESH_MS
        ? { lastSeenAt: m.timestamp }
        : {}),
    };
    if (Object.keys(changes).length > 0) changed.set(existing.id, changes);
  }
  const contactFor = (tenantId: string, phone: string) =>
    contactOf(tenantId, phone) ?? newContacts.get(key(tenantId, phone))!;

  // Conversations: the open one per contact and number, else the latest resolved reopened, else new.
  const threadOf = new Map(found.threads.map((c) => [key(c.contactId, c.configId), c]));
  const conv = new Map<string, { id: string; opened: "existing" | "reopened" | "created" }>();
  const created: ConversationRow[] = [];
  for (const r of ready) {
    const c = contactFor(r.tenantId, r.phone);
    const k = key(c.id, r.config.id);
    if (conv.has(k)) continue;
    const thread = threadOf.get(k);
    if (thread && thread.status !== "resolved") conv.set(k, { id: thread.id, opened: "existing" });
    else if (thread) conv.set(k, { id: thread.id, opened: "reopened" });
    else {
      const id = uuidv7();
      conv.set(k, { id, opened: "created" });
      created.push({
        id,
        tenantId: r.tenantId,
        contactId: c.id,
        configId: r.config.id,
        status: "active",
        createdAt: now,
        updatedAt: now,
      } as ConversationRow);
    }
  }
  const reopened = [...conv.values()].filter((c) => c.opened === "reopened").map((c) => c.id);

  const rows: MessageRow[] = ready.map((r) => {
    const c = contactFor(r.tenantId, r.phone);
    const m = r.message;
    const inbound = !m.fromBusiness;
    return {
      id: uuidv7(),
      tenantId: r.tenantId,
      conversationId: conv.get(key(c.id, r.config.id))!.id,
      contactId: c.id,
      configId: r.config.id,
      direction: inbound ? "inbound" : "outbound",
      type: m.type,
      content: m.content,
      body: m.body,
      status: inbound ? "received" : "sent",
      providerMessageId: m.providerMessageId,
      replyTo: m.replyTo ?? null,
      senderType: inbound ? "contact" : "agent",
      senderUserId: null,
      errorCode: null,
      errorTitle: null,
      errorDetail: null,
      retryOf: null,
      sentAt: inbound ? null : m.timestamp,
      deliveredAt: null,
      readAt: null,
      failedAt: null,
      timestamp: m.timestamp,
      createdAt: now,
    };
  });
  const ids = rows.map((r) => r.id);
  const conversationIds = [...new Set(rows.map((r) => r.conversationId))];
  const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

  return {
    statements(db) {
      const list: BatchItem<"pg">[] = [];
      if (newContacts.size > 0) {
        list.push(db.insert(contacts).values([...newContacts.values()]).returning({ id: contacts.id }));
      }
      for (const [id, changes] of changed) {
        list.push(db.update(contacts).set({ ...changes, updatedAt: now }).where(sql`${contacts.id} = ${id}`));
      }
      if (reopened.length > 0) {
        list.push(
          db.update(conversations).set({ status: "active", resolvedAt: null, updatedAt: now })
            .where(and(inArray(conversations.id, reopened), sql`${conversations.status} = 'resolved'`)),
        );
      }
      if (created.length > 0) list.push(db.insert(conversations).values(created));
      // Each message once: a redelivered one is left out, and so is its effect on its conversation.
      list.push(db.insert(messages).values(rows).onConflictDoNothing().returning());
      list.push(db.execute(sql`
        update ${conversations} c set
          last_message_at = greatest(c.last_message_at, v.last_at),
          last_inbound_at = greatest(c.last_inbound_at, v.last_in),
          window_expires_at = greatest(c.window_expires_at, v.last_in + interval '${
        sql.raw(String(WINDOW_MS / 1000))
      } seconds'),
          unread_count = c.unread_count + v.unread,
          updated_at = ${iso(now)}
        from (
          select conversation_id as id, max(timestamp) as last_at,
            max(timestamp) filter (where direction = 'inbound') as last_in,
            (count(*) filter (where direction = 'inbound'))::int as unread
          from ${messages} where ${inArray(messages.id, ids)} group by conversation_id
        ) as v
        where c.id = v.id`));
      // What the events show: the conversations and contacts as they now are.
      list.push(selectConversations(db).where(inArray(conversations.id, conversationIds)));
      return list;
    },
    decode(results) {
      const joined = results.at(-1) as ConversationJoined[];
      const fresh = results.at(-3) as MessageRow[];
      if (fresh.length === 0) return []; // all redeliveries
      const convById = new Map(joined.map((j) => [j.conversation.id, j]));
      const freshConversations = new Set(fresh.map((m) => m.conversationId));
      const events: EventInput[] = [];
      const createdIds = new Set([...newContacts.values()].map((c) => c.id));
      for (const c of newContacts.values()) {
        events.push({ type: "contact.created", tenantId: c.tenantId, data: contactEvent(c) });
      }
      for (const { id, opened } of conv.values()) {
        const j = convById.get(id);
        if (opened === "existing" || !j || !freshConversations.has(id)) continue;
        events.push({
          type: opened === "created" ? "conversation.created" : "conversation.updated",
          tenantId: j.conversation.tenantId,
          data: conversationEvent(j, now, { reopened: opened === "reopened" }),
        });
      }
      for (const m of fresh) {
        const j = convById.get(m.conversationId);
        const contact = j ? contactSummary(j.contact) : contactSummary(
          [...newContacts.values()].find((c) => c.id === m.contactId) ??
            found.contacts.find((c) => c.id === m.contactId)!,
        );
        events.push({
          type: m.direction === "inbound" ? "message.received" : "message.sent",
          tenantId: m.tenantId,
          data: messageEvent(m, contact),
        });
      }
      void createdIds;
      return events;
    },
  };
}

export type { SQL };
