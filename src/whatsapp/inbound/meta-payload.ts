import type { MessageType } from "../../../db/schema/index.ts";
import { metaError } from "../providers/meta-errors.ts";
import type { InboundMessage, NormalizedEvent, StatusName } from "./normalized.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const seconds = (ts: unknown) => new Date(Number(ts) * 1000);

/** Meta's error object with our readable reason for its code (the raw title stays in `detail`). */
function readable(e: Json): { code: string; title: string; detail?: string } {
  const mapped = metaError(e.code, e.title ?? e.message, e.error_data?.details ?? e.title);
  return { code: mapped.code, title: mapped.title, detail: mapped.detail };
}

const MEDIA = new Set(["image", "video", "audio", "document", "sticker"]);

/** One inbound Meta message into our type, content and searchable text (reference A.6.3). */
export function metaMessage(m: Json, profileName?: string): InboundMessage {
  const base = {
    providerMessageId: String(m.id),
    from: String(m.from),
    profileName,
    timestamp: seconds(m.timestamp),
    ...(m.context?.id ? { replyTo: String(m.context.id) } : {}),
  };
  const t: string = m.type;
  if (t === "text") return { ...base, type: "text", content: { text: m.text }, body: m.text?.body ?? null };
  if (MEDIA.has(t)) {
    const media = m[t] ?? {};
    return {
      ...base,
      type: t as MessageType,
      content: { media },
      body: media.caption ?? media.filename ?? null,
    };
  }
  if (t === "location") {
    const l = m.location ?? {};
    return {
      ...base,
      type: "location",
      content: { location: l },
      body: [l.name, l.address].filter(Boolean).join(" — ") || null,
    };
  }
  if (t === "contacts") {
    const names = (m.contacts ?? []).map((c: Json) => c?.name?.formatted_name).filter(Boolean);
    return { ...base, type: "contacts", content: { contacts: m.contacts }, body: names.join(", ") || null };
  }
  if (t === "interactive") {
    const i = m.interactive ?? {};
    const reply = i.button_reply ?? i.list_reply ?? i.nfm_reply;
    return {
      ...base,
      type: "interactive",
      content: { interactive: i },
      body: reply?.title ?? reply?.body ?? null,
    };
  }
  if (t === "button") {
    return { ...base, type: "button", content: { button: m.button }, body: m.button?.text ?? null };
  }
  if (t === "reaction") {
    return {
      ...base,
      type: "reaction",
      content: { reaction: m.reaction },
      body: m.reaction?.emoji || null,
      replyTo: m.reaction?.message_id,
    };
  }
  // unsupported, system, order, request_welcome, …: kept whole, readable when Meta explains.
  return {
    ...base,
    type: "unsupported",
    content: { original_type: t, [t]: m[t] ?? null, errors: m.errors ?? null },
    body: m.errors?.[0]?.title ?? m.system?.body ?? null,
  };
}

/** Every event of one Meta webhook call: several entries, changes, messages and statuses. */
export function parseMetaPayload(payload: Json): NormalizedEvent[] {
  const out: NormalizedEvent[] = [];
  for (const entry of payload?.entry ?? []) {
    for (const change of entry?.changes ?? []) {
      const value = change?.value ?? {};
      const route = String(value.metadata?.phone_number_id ?? "");
      if (change?.field === "messages") {
        const names = new Map<string, string>();
        for (const c of value.contacts ?? []) if (c?.wa_id) names.set(String(c.wa_id), c.profile?.name);
        for (const m of value.messages ?? []) {
          out.push({ kind: "message", route, message: metaMessage(m, names.get(String(m.from))) });
        }
        for (const st of value.statuses ?? []) {
          const status = String(st.status);
          const e = st.errors?.[0];
          out.push({
            kind: "status",
            route,
            status: {
              providerMessageId: String(st.id),
              // Voice notes get `played` after `read`; for our states it is a read.
              status: (status === "played" ? "read" : status) as StatusName,
              timestamp: seconds(st.timestamp),
              recipient: st.recipient_id,
              ...(e ? { error: readable(e) } : {}),
              detail: {
                ...(st.conversation ? { conversation: st.conversation } : {}),
                ...(st.pricing ? { pricing: st.pricing } : {}),
              },
            },
          });
        }
        for (const e of value.errors ?? []) {
          out.push({ kind: "error", route, error: readable(e) });
        }
      } else if (change?.field === "phone_number_quality_update") {
        // Routed by the display number: this field carries no phone_number_id.
        out.push({
          kind: "quality",
          route: String(value.display_phone_number ?? "").replace(/\D/g, ""),
          rating: value.event === "FLAGGED" ? "FLAGGED" : value.event === "UNFLAGGED" ? "GREEN" : null,
          tier: value.current_limit ?? null,
        });
      }
    }
  }
  return out;
}

/** The phone number ids a payload is about: the numbers whose app secret may sign it. */
export function metaRoutes(payload: Json): string[] {
  const ids = new Set<string>();
  for (const entry of payload?.entry ?? []) {
    for (const change of entry?.changes ?? []) {
      const id = change?.value?.metadata?.phone_number_id;
      if (id) ids.add(String(id));
    }
  }
  return [...ids];
}
