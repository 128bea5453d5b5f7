import { and, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { contacts, conversations, messages } from "../../../db/schema/index.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { Services } from "../../services.ts";
import type { ContactRow } from "../contact-upsert.ts";
import type { ConversationRow } from "../../conversations/conversation-view.ts";
import { messageView } from "../message-view.ts";
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

const key = (...parts: string[]) => parts.join("|");

/**
 * Stores inbound messages (any number of them, from any numbers) and threads them, in a fixed
 * number of statements whatever their count: contacts found or created together, conversations
 * found, reopened or created together, messages inserted in one statement (each once: the
 * provider id is unique per number), conversations moved in one. On an embedded database every
 * statement has a fixed cost, and on Neon every statement is a round trip, so a burst of
 * webhooks costs little more than one.
 */
export async function applyMessages(s: Services, items: MessageItem[]): Promise<void> {
  const { db } = s.database;
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
  if (ready.length === 0) return;

  // Contacts: one lookup for every phone (with and without the ninth digit), one insert for the new.
  const tenantIds = [...new Set(ready.map((r) => r.tenantId))];
  const allVariants = [...new Set(ready.flatMap((r) => phoneVariants(r.phone)))];
  const found = await db.select().from(contacts).where(
    and(
      inArray(contacts.tenantId, tenantIds),
      inArray(contacts.phone, allVariants),
      isNull(contacts.deletedAt),
    ),
  );
  const byPhone = new Map<string, ContactRow>(found.map((c) => [key(c.tenantId, c.phone), c]));
  const contactOf = (tenantId: string, phone: string) =>
    phoneVariants(phone).map((v) => byPhone.get(key(tenantId, v))).find(Boolean);
  const newContacts = new Map<string, typeof contacts.$inferInsert>();
  for (const r of ready) {
    if (contactOf(r.tenantId, r.phone) || newContacts.has(key(r.tenantId, r.phone))) continue;
    const m = r.message;
    newContacts.set(key(r.tenantId, r.phone), {
      id: uuidv7(),
      tenantId: r.tenantId,
      phone: r.phone,
      waId: m.from,
      profileName: m.fromBusiness ? null : m.profileName ?? null,
      name: m.fromBusiness ? null : m.profileName ?? null,
      lastSeenAt: m.fromBusiness ? null : m.timestamp,
      createdAt: now,
      updatedAt: now,
    });
  }
  const createdContactIds = new Set<string>();
  if (newContacts.size > 0) {
    const inserted = await db.insert(contacts).values([...newContacts.values()]).onConflictDoUpdate({
      target: [contacts.tenantId, contacts.phone],
      targetWhere: sql`${contacts.deletedAt} is null`,
      set: { updatedAt: now },
    }).returning();
    const wanted = new Set([...newContacts.values()].map((c) => c.id));
    for (const c of inserted) {
      byPhone.set(key(c.tenantId, c.phone), c);
      if (wanted.has(c.id)) createdContactIds.add(c.id);
    }
  }
  // What WhatsApp tells us about a known contact (its id, its profile name, that it is around).
  for (const r of ready) {
    const c = contactOf(r.tenantId, r.phone)!;
    const m = r.message;
    if (m.fromBusiness || createdContactIds.has(c.id)) continue;
    const changes = {
      ...(m.from !== c.waId ? { waId: m.from } : {}),
      ...(m.profileName && m.profileName !== c.profileName ? { profileName: m.profileName } : {}),
      ...(!c.lastSeenAt || m.timestamp.getTime() - c.lastSeenAt.getTime() > SEEN_REFRESH_MS
        ? { lastSeenAt: m.timestamp }
        : {}),
    };
    if (Object.keys(changes).length === 0) continue;
    const [updated] = await db.update(contacts).set({ ...changes, updatedAt: now }).where(
      eq(contacts.id, c.id),
    ).returning();
    byPhone.set(key(updated.tenantId, updated.phone), updated);
  }

  // Conversations: the open one per contact and number, else the latest resolved reopened, else new.
  const pairs = new Map<string, { tenantId: string; contactId: string; configId: string }>();
  for (const r of ready) {
    const contactId = contactOf(r.tenantId, r.phone)!.id;
    pairs.set(key(contactId, r.config.id), { tenantId: r.tenantId, contactId, configId: r.config.id });
  }
  const conv = new Map<string, { row: ConversationRow; opened: "existing" | "reopened" | "created" }>();
  const pairFilter = (list: { contactId: string; configId: string }[]): SQL =>
    sql`(${conversations.contactId}, ${conversations.configId}) in (${
      sql.join(list.map((p) => sql`(${p.contactId}::uuid, ${p.configId}::uuid)`), sql`, `)
    })`;
  const missing = () => [...pairs.entries()].filter(([k]) => !conv.has(k)).map(([, p]) => p);
  const readOpen = async (opened: "existing" | "created") => {
    const list = missing();
    if (list.length === 0) return;
    const open = await db.select().from(conversations)
      .where(and(pairFilter(list), inArray(conversations.status, ["active", "waiting"])));
    for (const row of open) conv.set(key(row.contactId, row.configId), { row, opened });
  };
  await readOpen("existing");
  if (missing().length > 0) {
    const resolved = await db.selectDistinctOn([conversations.contactId, conversations.configId], {
      id: conversations.id,
    }).from(conversations).where(and(pairFilter(missing()), eq(conversations.status, "resolved")))
      .orderBy(conversations.contactId, conversations.configId, desc(conversations.lastMessageAt));
    if (resolved.length > 0) {
      try {
        const reopened = await db.update(conversations).set({
          status: "active",
          resolvedAt: null,
          updatedAt: now,
        })
          .where(
            and(inArray(conversations.id, resolved.map((r) => r.id)), eq(conversations.status, "resolved")),
          )
          .returning();
        for (const row of reopened) conv.set(key(row.contactId, row.configId), { row, opened: "reopened" });
      } catch {
        // One of them was opened meanwhile (the unique index said so): read them below.
      }
    }
  }
  const toCreate = missing();
  if (toCreate.length > 0) {
    const created = await db.insert(conversations).values(toCreate.map((p) => ({
      id: uuidv7(),
      tenantId: p.tenantId,
      contactId: p.contactId,
      configId: p.configId,
      status: "active" as const,
      createdAt: now,
      updatedAt: now,
    }))).onConflictDoNothing().returning();
    for (const row of created) conv.set(key(row.contactId, row.configId), { row, opened: "created" });
    await readOpen("existing"); // lost a race for some: theirs are open now
  }

  // Messages: one insert; what comes back is what was new.
  const rows: MessageRow[] = ready.map((r) => {
    const c = contactOf(r.tenantId, r.phone)!;
    const thread = conv.get(key(c.id, r.config.id))!.row;
    const m = r.message;
    const inbound = !m.fromBusiness;
    return {
      id: uuidv7(),
      tenantId: r.tenantId,
      conversationId: thread.id,
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
  const insertedIds = new Set(
    (await db.insert(messages).values(rows).onConflictDoNothing().returning({ id: messages.id })).map((r) =>
      r.id
    ),
  );
  const fresh = rows.filter((r) => insertedIds.has(r.id));
  if (fresh.length === 0) return; // all redeliveries

  // Conversations move once each: latest activity, the customer's latest message, the window.
  const moves = new Map<string, { last: number; lastIn: number; unread: number }>();
  for (const m of fresh) {
    const e = moves.get(m.conversationId) ?? { last: 0, lastIn: 0, unread: 0 };
    e.last = Math.max(e.last, m.timestamp.getTime());
    if (m.direction === "inbound") {
      e.lastIn = Math.max(e.lastIn, m.timestamp.getTime());
      e.unread++;
    }
    moves.set(m.conversationId, e);
  }
  const iso = (ms: number) => (ms ? new Date(ms).toISOString() : null);
  const values = sql.join(
    [...moves].map(([id, e]) =>
      sql`(${id}::uuid, ${iso(e.last)}::timestamptz, ${iso(e.lastIn)}::timestamptz, ${
        iso(e.lastIn ? e.lastIn + WINDOW_MS : 0)
      }::timestamptz, ${e.unread}::int)`
    ),
    sql`, `,
  );
  const statuses = await s.database.rows<{ id: string; status: string }>(sql`
    update ${conversations} c set
      last_message_at = greatest(c.last_message_at, v.last_at),
      last_inbound_at = greatest(c.last_inbound_at, v.last_in),
      window_expires_at = greatest(c.window_expires_at, v.window_end),
      unread_count = c.unread_count + v.unread,
      updated_at = ${now.toISOString()}::timestamptz
    from (values ${values}) as v(id, last_at, last_in, window_end, unread)
    where c.id = v.id
    returning c.id, c.status`);
  const statusOf = new Map(statuses.map((r) => [r.id, r.status]));

  for (const c of found.concat([...byPhone.values()]).filter((c, i, all) => all.indexOf(c) === i)) {
    if (createdContactIds.has(c.id)) {
      await s.events.publish("contact.created", c.tenantId, { contact_id: c.id, phone: c.phone });
    }
  }
  for (const { row, opened } of conv.values()) {
    if (opened === "existing" || !moves.has(row.id)) continue;
    await s.events.publish(
      opened === "created" ? "conversation.created" : "conversation.updated",
      row.tenantId,
      {
        conversation_id: row.id,
        contact_id: row.contactId,
        config_id: row.configId,
        status: statusOf.get(row.id) ?? row.status,
        reopened: opened === "reopened",
      },
    );
  }
  for (const m of fresh) {
    await s.events.publish(m.direction === "inbound" ? "message.received" : "message.sent", m.tenantId, {
      message: messageView(m),
      conversation_id: m.conversationId,
    });
  }
}
