/**
 * A conversation transcript, ready to be rendered as PDF, CSV or JSON. The renderers only read
 * it: building one (messages, notes, names) is the caller's job.
 */

export interface TranscriptMedia {
  /** image | audio | video | document | sticker | location | contacts | … */
  kind: string;
  id?: string | null;
  url?: string | null;
  filename?: string | null;
  caption?: string | null;
  mime_type?: string | null;
}

export type TranscriptMessage = {
  kind: "message";
  id: string;
  at: Date;
  direction: "inbound" | "outbound";
  /** Display name: the contact's name, the agent's name, "Bot", "API". */
  sender: string;
  senderType: "contact" | "agent" | "bot" | "system" | "api";
  /** text, image, template, … */
  type: string;
  text: string | null;
  media: TranscriptMedia | null;
  status: string;
};

export type TranscriptNote = { kind: "note"; id: string; at: Date; author: string; text: string };

export type TranscriptEntry = TranscriptMessage | TranscriptNote;

export type TranscriptLocale = "pt-BR" | "en" | "es";

export interface Transcript {
  conversation: {
    id: string;
    status: string;
    priority: string;
    tags: string[];
    createdAt: Date;
    resolvedAt: Date | null;
    /** The assigned agent's name. */
    assignedTo: string | null;
  };
  contact: { id: string; name: string | null; phone: string; email: string | null };
  number: { id: string; name: string; phone: string | null };
  tenantName: string;
  /** IANA zone, e.g. "America/Sao_Paulo": every time shown is in this zone. */
  timeZone: string;
  /** The language of the labels. */
  locale: TranscriptLocale;
  generatedAt: Date;
  /** Chronological, notes interleaved. */
  entries: TranscriptEntry[];
  /** True when the conversation had more messages than were exported. */
  truncated: boolean;
}

const zoneCache = new Map<string, string>();

/** `zone` when Intl knows it, otherwise "UTC" (a bad setting must not break an export). */
export function resolveTimeZone(zone: string): string {
  let resolved = zoneCache.get(zone);
  if (resolved === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      resolved = zone;
    } catch {
      resolved = "UTC";
    }
    zoneCache.set(zone, resolved);
  }
  return resolved;
}

export interface ZonedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Minutes east of UTC at that instant. */
  offsetMinutes: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(zone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormatters.set(zone, f);
  }
  return f;
}

/**
 * The wall-clock time of `at` in `zone`, and the zone's offset then. The offset is rounded to
 * whole minutes (historical local mean times have seconds) and the wall time is derived from
 * it, so the two always name the same instant (to the second).
 */
export function zonedTime(at: Date, zone: string): ZonedTime | null {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) return null;
  const seconds = Math.floor(ms / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of partsFormatter(resolveTimeZone(zone)).formatToParts(new Date(seconds))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  const offsetMinutes = Math.round((wall - seconds) / 60_000);
  const local = new Date(seconds + offsetMinutes * 60_000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    offsetMinutes,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** "+05:30", "-03:00", "+00:00". */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** ISO 8601 with the offset of `zone`, to the second: "2024-03-05T14:30:00-03:00". "" for an invalid date. */
export function isoInZone(at: Date, zone: string): string {
  const z = zonedTime(at, zone);
  if (!z) return "";
  return `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}T${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}${
    formatOffset(z.offsetMinutes)
  }`;
}
