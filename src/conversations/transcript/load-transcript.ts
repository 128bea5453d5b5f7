import { asc, eq } from "drizzle-orm";
import { messages, tenants, users, whatsappConfigs } from "../../../db/schema/index.ts";
import type { Services } from "../../services.ts";
import { tenantLanguage } from "../../tenants/tenant-settings.ts";
import type { ConversationJoined } from "../conversation-view.ts";
import { notesOf } from "../conversation-notes.ts";
import type { Transcript, TranscriptEntry, TranscriptLocale, TranscriptMedia } from "./transcript.ts";

/** Messages in one export at most; a longer conversation is exported up to here and says so. */
export const MAX_TRANSCRIPT_MESSAGES = 10_000;

const MEDIA = new Set(["image", "audio", "video", "document", "sticker"]);

/** What a message carries besides text: the media reference, a location, the shared contacts. */
function mediaOf(type: string, content: Record<string, unknown>): TranscriptMedia | null {
  if (MEDIA.has(type)) {
    const m = (content.media ?? {}) as Record<string, string | undefined>;
    return {
      kind: type,
      id: m.id ?? null,
      url: m.link ?? m.url ?? null,
      filename: m.filename ?? m.fileName ?? null,
      caption: m.caption ?? null,
      mime_type: m.mime_type ?? m.mimetype ?? null,
    };
  }
  if (type === "location") {
    const l = (content.location ?? {}) as { latitude?: number; longitude?: number; name?: string };
    const where = l.latitude !== undefined ? `${l.latitude},${l.longitude}` : null;
    return {
      kind: "location",
      url: where ? `https://maps.google.com/?q=${where}` : null,
      caption: l.name ?? where,
    };
  }
  if (type === "contacts") return { kind: "contacts" };
  return null;
}

const BOT = { "pt-BR": "Bot", en: "Bot", es: "Bot" };
const SYSTEM = { "pt-BR": "Sistema", en: "System", es: "Sistema" };

/**
 * Everything an export shows: the conversation's messages in order with who sent each (the
 * contact, the agent by name, the bot, the API), the media references, and the internal notes
 * interleaved by time, with times in the tenant's zone and labels in its language.
 */
export async function loadTranscript(s: Services, found: ConversationJoined): Promise<Transcript> {
  const c = found.conversation;
  const { db } = s.database;
  const [[tenant], [number], rows, notes] = await Promise.all([
    db.select({ name: tenants.name, settings: tenants.settings }).from(tenants).where(
      eq(tenants.id, c.tenantId),
    ),
    db.select({ id: whatsappConfigs.id, name: whatsappConfigs.name, phone: whatsappConfigs.phoneNumber })
      .from(whatsappConfigs).where(eq(whatsappConfigs.id, c.configId)),
    db.select({ m: messages, agent: users.name }).from(messages)
      .leftJoin(users, eq(users.id, messages.senderUserId))
      .where(eq(messages.conversationId, c.id))
      .orderBy(asc(messages.timestamp), asc(messages.id))
      .limit(MAX_TRANSCRIPT_MESSAGES + 1),
    notesOf(s, c.id),
  ]);
  const settings = (tenant?.settings ?? {}) as { timezone?: string };
  const locale: TranscriptLocale = tenantLanguage(tenant?.settings);
  const contactName = found.contact.name ?? found.contact.profileName ?? found.contact.phone;
  const truncated = rows.length > MAX_TRANSCRIPT_MESSAGES;
  const entries: TranscriptEntry[] = rows.slice(0, MAX_TRANSCRIPT_MESSAGES).map(({ m, agent }) => ({
    kind: "message",
    id: m.id,
    at: m.timestamp,
    direction: m.direction,
    sender: m.senderType === "contact"
      ? contactName
      : m.senderType === "agent"
      ? agent ?? "Agent"
      : m.senderType === "bot"
      ? BOT[locale]
      : m.senderType === "api"
      ? "API"
      : SYSTEM[locale],
    senderType: m.senderType,
    type: m.type,
    text: m.body,
    media: mediaOf(m.type, m.content),
    status: m.status,
  }));
  for (const n of notes) {
    entries.push({
      kind: "note",
      id: n.id,
      at: new Date(n.created_at),
      author: n.author.name ?? "API",
      text: n.note,
    });
  }
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  return {
    conversation: {
      id: c.id,
      status: c.status,
      priority: c.priority,
      tags: c.tags,
      createdAt: c.createdAt,
      resolvedAt: c.resolvedAt,
      assignedTo: found.assignee?.name ?? null,
    },
    contact: {
      id: found.contact.id,
      name: contactName,
      phone: found.contact.phone,
      email: found.contact.email,
    },
    number: { id: number?.id ?? c.configId, name: number?.name ?? "", phone: number?.phone ?? null },
    tenantName: tenant?.name ?? "",
    timeZone: settings.timezone ?? "America/Sao_Paulo",
    locale,
    generatedAt: s.clock.now(),
    entries,
    truncated,
  };
}
