import type { InboundMessage, NormalizedEvent, StatusName } from "./normalized.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Evolution's receipt codes (reference B.5) as our statuses; PENDING says nothing new. */
const RECEIPTS: Record<string, StatusName> = {
  SERVER_ACK: "sent",
  DELIVERY_ACK: "delivered",
  READ: "read",
  PLAYED: "read",
  ERROR: "failed",
};

function text(m: Json): string | undefined {
  return m?.conversation ?? m?.extendedTextMessage?.text;
}

/** One `messages.upsert` into our message, or null for what we do not keep (groups, @lid). */
export function evolutionMessage(data: Json): InboundMessage | null {
  const key = data?.key ?? {};
  const jid = String(key.remoteJid ?? "");
  // Groups and privacy ids carry no customer phone number: nothing to thread them on.
  if (!jid.endsWith("@s.whatsapp.net")) return null;
  const m = data.message ?? {};
  const base = {
    providerMessageId: String(key.id),
    from: jid.split("@")[0],
    profileName: key.fromMe ? undefined : data.pushName ?? undefined,
    timestamp: new Date(Number(data.messageTimestamp ?? Date.now() / 1000) * 1000),
    fromBusiness: key.fromMe === true,
    ...(m.extendedTextMessage?.contextInfo?.stanzaId
      ? { replyTo: String(m.extendedTextMessage.contextInfo.stanzaId) }
      : {}),
  };
  const t = String(data.messageType ?? "");
  if (t === "conversation" || t === "extendedTextMessage") {
    return { ...base, type: "text", content: { text: { body: text(m) ?? "" } }, body: text(m) ?? null };
  }
  const media: Record<string, "image" | "video" | "audio" | "document" | "sticker"> = {
    imageMessage: "image",
    videoMessage: "video",
    audioMessage: "audio",
    documentMessage: "document",
    documentWithCaptionMessage: "document",
    stickerMessage: "sticker",
  };
  if (media[t]) {
    const raw = m[t]?.message?.documentMessage ?? m[t] ?? {};
    const ref = {
      mime_type: raw.mimetype,
      caption: raw.caption,
      filename: raw.fileName,
      url: m.mediaUrl ?? raw.url,
      ...(raw.ptt ? { voice: true } : {}),
    };
    return { ...base, type: media[t], content: { media: ref }, body: raw.caption ?? raw.fileName ?? null };
  }
  if (t === "locationMessage") {
    const l = m.locationMessage ?? {};
    const location = {
      latitude: l.degreesLatitude,
      longitude: l.degreesLongitude,
      name: l.name,
      address: l.address,
    };
    return {
      ...base,
      type: "location",
      content: { location },
      body: [l.name, l.address].filter(Boolean).join(" — ") || null,
    };
  }
  if (t === "contactMessage" || t === "contactsArrayMessage") {
    const list = m.contactMessage ? [m.contactMessage] : m.contactsArrayMessage?.contacts ?? [];
    const contacts = list.map((c: Json) => ({ name: { formatted_name: c.displayName }, vcard: c.vcard }));
    return {
      ...base,
      type: "contacts",
      content: { contacts },
      body: contacts.map((c: Json) => c.name.formatted_name).join(", ") || null,
    };
  }
  if (t === "reactionMessage") {
    const r = m.reactionMessage ?? {};
    return {
      ...base,
      type: "reaction",
      content: { reaction: { message_id: r.key?.id, emoji: r.text } },
      body: r.text || null,
      replyTo: r.key?.id,
    };
  }
  if (t === "buttonsResponseMessage") {
    const b = m.buttonsResponseMessage ?? {};
    const interactive = {
      type: "button_reply",
      button_reply: { id: b.selectedButtonId, title: b.selectedDisplayText },
    };
    return { ...base, type: "interactive", content: { interactive }, body: b.selectedDisplayText ?? null };
  }
  if (t === "listResponseMessage") {
    const l = m.listResponseMessage ?? {};
    const interactive = {
      type: "list_reply",
      list_reply: { id: l.singleSelectReply?.selectedRowId, title: l.title, description: l.description },
    };
    return { ...base, type: "interactive", content: { interactive }, body: l.title ?? null };
  }
  if (t === "templateButtonReplyMessage") {
    const b = m.templateButtonReplyMessage ?? {};
    return {
      ...base,
      type: "button",
      content: { button: { payload: b.selectedId, text: b.selectedDisplayText } },
      body: b.selectedDisplayText ?? null,
    };
  }
  return { ...base, type: "unsupported", content: { original_type: t }, body: null };
}

/** Every event of one Evolution webhook call (reference B.5), routed by instance name. */
export function parseEvolutionPayload(payload: Json): NormalizedEvent[] {
  const route = String(payload?.instance ?? "");
  const data = payload?.data;
  switch (String(payload?.event ?? "").toLowerCase()) {
    case "messages.upsert":
    case "send.message": {
      const list = Array.isArray(data?.messages) ? data.messages : [data];
      return list.map(evolutionMessage).filter((m: InboundMessage | null): m is InboundMessage => m !== null)
        .map((message: InboundMessage) => ({ kind: "message" as const, route, message }));
    }
    case "messages.update": {
      const updates = Array.isArray(data) ? data : [data];
      return updates.flatMap((u: Json) => {
        const status = RECEIPTS[String(u?.status ?? "")];
        if (!status || !u?.keyId) return [];
        return [{
          kind: "status" as const,
          route,
          status: {
            providerMessageId: String(u.keyId),
            status,
            timestamp: new Date(),
            recipient: String(u.remoteJid ?? "").split("@")[0],
            ...(status === "failed"
              ? { error: { code: "evolution_error", title: "WhatsApp reported an error for this message" } }
              : {}),
          },
        }];
      });
    }
    case "connection.update": {
      const state = String(data?.state ?? "");
      return [{
        kind: "connection",
        route,
        state: state === "open"
          ? "connected"
          : state === "connecting"
          ? "connecting"
          : state === "refused"
          ? "error"
          : "disconnected",
        reason: data?.statusReason !== undefined ? String(data.statusReason) : undefined,
      }];
    }
    case "qrcode.updated": {
      const q = data?.qrcode ?? {};
      return [{
        kind: "qrcode",
        route,
        code: q.code ?? null,
        base64: q.base64 ?? null,
        pairingCode: q.pairingCode ?? null,
      }];
    }
    default:
      return [];
  }
}
