import type { Transcript, TranscriptMedia } from "./transcript.ts";

const iso = (d: Date | null): string | null => (d && Number.isFinite(d.getTime()) ? d.toISOString() : null);

function mediaJson(m: TranscriptMedia | null): Record<string, unknown> | null {
  if (!m) return null;
  return {
    kind: m.kind,
    id: m.id ?? null,
    url: m.url ?? null,
    filename: m.filename ?? null,
    caption: m.caption ?? null,
    mime_type: m.mime_type ?? null,
  };
}

/** The transcript as snake_case JSON; times are ISO 8601 in UTC. */
export function transcriptJson(t: Transcript): Record<string, unknown> {
  const c = t.conversation;
  return {
    conversation: {
      id: c.id,
      status: c.status,
      priority: c.priority,
      tags: [...c.tags],
      created_at: iso(c.createdAt),
      resolved_at: iso(c.resolvedAt),
      assigned_to: c.assignedTo,
    },
    contact: { id: t.contact.id, name: t.contact.name, phone: t.contact.phone, email: t.contact.email },
    number: { id: t.number.id, name: t.number.name, phone: t.number.phone },
    generated_at: iso(t.generatedAt),
    time_zone: t.timeZone,
    truncated: t.truncated,
    entries: t.entries.map((e) =>
      e.kind === "note" ? { kind: "note", id: e.id, at: iso(e.at), author: e.author, text: e.text } : {
        kind: "message",
        id: e.id,
        at: iso(e.at),
        direction: e.direction,
        sender: e.sender,
        sender_type: e.senderType,
        type: e.type,
        text: e.text,
        media: mediaJson(e.media),
        status: e.status,
      }
    ),
  };
}
