import { and, eq, isNull, sql } from "drizzle-orm";
import { conversations, messages, whatsappConfigs } from "../../../db/schema/index.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { Services } from "../../services.ts";
import { upsertContact } from "../contact-upsert.ts";
import { openConversation } from "../conversation-open.ts";
import { recordStatus } from "../message-status.ts";
import { messageView } from "../message-view.ts";
import { forgetNumbers, numbersById } from "../number-cache.ts";
import { toE164 } from "../phone.ts";
import type { ConfigRow } from "../providers/provider.ts";
import type { InboundMessage, NormalizedEvent } from "./normalized.ts";

const WINDOW_MS = 24 * 3600_000;

/** Stores one inbound message (once: the provider id is unique per number) and threads it. */
export async function applyMessage(s: Services, config: ConfigRow, m: InboundMessage): Promise<void> {
  const phone = toE164(m.from, { lenient: true });
  if (!phone) {
    s.obs.log.warn("inbound message from an unparseable number", { service: "whatsapp", from: m.from });
    return;
  }
  const { contact, created: contactCreated } = await upsertContact(s, config.tenantId, {
    phone,
    waId: m.from,
    profileName: m.fromBusiness ? undefined : m.profileName,
    seenAt: m.fromBusiness ? undefined : m.timestamp,
  });
  const { conversation, opened } = await openConversation(s, config.tenantId, contact.id, config.id);
  const { db } = s.database;
  const inbound = !m.fromBusiness;
  const now = s.clock.now();
  const row: typeof messages.$inferSelect = {
    id: uuidv7(),
    tenantId: config.tenantId,
    conversationId: conversation.id,
    contactId: contact.id,
    configId: config.id,
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
  const at = m.timestamp.toISOString();
  const windowEnd = new Date(m.timestamp.getTime() + WINDOW_MS).toISOString();
  // One statement: the message goes in (once: its provider id is unique per number) and, only if
  // it did, the conversation moves; a redelivery changes neither.
  const stored = db.$with("stored").as(
    db.insert(messages).values(row).onConflictDoNothing().returning({ id: messages.id }),
  );
  const [updated] = await db.with(stored).update(conversations).set(
    inbound
      ? {
        lastMessageAt: sql`greatest(${conversations.lastMessageAt}, ${at}::timestamptz)`,
        lastInboundAt: sql`greatest(${conversations.lastInboundAt}, ${at}::timestamptz)`,
        // Each customer message opens the 24-hour window again from its own time.
        windowExpiresAt: sql`greatest(${conversations.windowExpiresAt}, ${windowEnd}::timestamptz)`,
        unreadCount: sql`${conversations.unreadCount} + 1`,
        updatedAt: now,
      }
      : { lastMessageAt: sql`greatest(${conversations.lastMessageAt}, ${at}::timestamptz)`, updatedAt: now },
  ).where(and(eq(conversations.id, conversation.id), sql`exists (select 1 from ${stored})`))
    .returning({ status: conversations.status });
  if (!updated) return; // a redelivery
  if (contactCreated) {
    await s.events.publish("contact.created", config.tenantId, { contact_id: contact.id, phone });
  }
  if (opened !== "existing") {
    await s.events.publish(
      opened === "created" ? "conversation.created" : "conversation.updated",
      config.tenantId,
      {
        conversation_id: conversation.id,
        contact_id: contact.id,
        config_id: config.id,
        status: updated.status,
        reopened: opened === "reopened",
      },
    );
  }
  await s.events.publish(inbound ? "message.received" : "message.sent", config.tenantId, {
    message: messageView(row),
    conversation_id: conversation.id,
  });
}

const STATUS_EVENTS = {
  sent: "message.sent",
  delivered: "message.delivered",
  read: "message.read",
  failed: "message.failed",
} as const;

/** Applies the events of one stored webhook to the number(s) it concerns. */
export async function applyEvents(
  s: Services,
  events: NormalizedEvent[],
  configFor: (route: string) => Promise<ConfigRow | undefined>,
): Promise<void> {
  for (const e of events) {
    const config = await configFor(e.route);
    if (!config) {
      s.obs.log.warn("webhook event for an unknown number", {
        service: "whatsapp",
        route: e.route,
        kind: e.kind,
      });
      continue;
    }
    switch (e.kind) {
      case "message":
        await applyMessage(s, config, e.message);
        break;
      case "status": {
        const outcome = await recordStatus(s, config, e.status);
        if (outcome?.moved) {
          await s.events.publish(STATUS_EVENTS[e.status.status], config.tenantId, {
            message: messageView(outcome.moved),
          });
        }
        break;
      }
      case "connection":
        await s.database.db.update(whatsappConfigs).set({
          connectionState: e.state,
          lastCheckedAt: s.clock.now(),
          ...(e.state === "error" ? { lastError: `connection refused (${e.reason ?? "no reason"})` } : {}),
          updatedAt: s.clock.now(),
        }).where(eq(whatsappConfigs.id, config.id));
        forgetNumbers();
        await s.events.publish("whatsapp.connection_updated", config.tenantId, {
          config_id: config.id,
          connection_state: e.state,
        });
        break;
      case "qrcode":
        await s.kv.set(
          qrKey(config.id),
          JSON.stringify({ code: e.code, base64: e.base64, pairing_code: e.pairingCode }),
          {
            ttlSeconds: 60,
          },
        );
        break;
      case "quality":
        await s.database.db.update(whatsappConfigs).set({
          ...(e.rating ? { qualityRating: e.rating } : {}),
          ...(e.tier ? { messagingTier: e.tier } : {}),
          updatedAt: s.clock.now(),
        }).where(eq(whatsappConfigs.id, config.id));
        break;
      case "error":
        s.obs.log.warn("WhatsApp reported an error for a number", {
          service: "whatsapp",
          config_id: config.id,
          ...e.error,
        });
        await s.database.db.update(whatsappConfigs).set({ lastError: `${e.error.code}: ${e.error.title}` })
          .where(eq(whatsappConfigs.id, config.id));
        break;
    }
  }
}

export const qrKey = (configId: string) => `wa:qr:${configId}`;

/** Live numbers by their routing key, for `applyEvents`. */
export async function configByRoute(
  s: Services,
  provider: "meta" | "evolution" | "sandbox",
  route: string,
): Promise<ConfigRow | undefined> {
  const { db } = s.database;
  const live = isNull(whatsappConfigs.deletedAt);
  if (provider === "evolution") {
    const [row] = await db.select().from(whatsappConfigs)
      .where(and(eq(whatsappConfigs.instanceName, route), eq(whatsappConfigs.apiType, "evolution"), live));
    return row;
  }
  if (/^\d+$/.test(route) && provider !== "sandbox") {
    const [byId] = await db.select().from(whatsappConfigs).where(
      and(eq(whatsappConfigs.phoneNumberId, route), live),
    );
    if (byId) return byId;
    // Quality updates name the display number instead.
    const [byPhone] = await db.select().from(whatsappConfigs)
      .where(
        and(eq(whatsappConfigs.phoneNumber, `+${route}`), eq(whatsappConfigs.apiType, "official"), live),
      );
    return byPhone;
  }
  const [sandbox] = await db.select().from(whatsappConfigs).where(
    and(eq(whatsappConfigs.phoneNumberId, route), live),
  );
  return sandbox;
}

export async function configById(s: Services, id: string): Promise<ConfigRow | undefined> {
  const cached = numbersById.get(id);
  if (cached) return cached;
  const [row] = await s.database.db.select().from(whatsappConfigs)
    .where(and(eq(whatsappConfigs.id, id), isNull(whatsappConfigs.deletedAt)));
  if (row) numbersById.set(id, row);
  return row;
}
