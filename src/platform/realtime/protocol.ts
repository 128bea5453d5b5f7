import { uuidv7 } from "../../core/ids.ts";
import type { RealtimeIdentity, RealtimeMessage } from "./realtime.ts";

/**
 * The WebSocket protocol of `/ws`, shared by both rooms (the in-process hub and the Durable
 * Object) so they answer every frame alike. Pure: no sockets, no clocks, no runtime globals.
 */

export const CHANNELS = [
  "messages",
  "conversations",
  "contacts",
  "whatsapp",
  "campaigns",
  "agents",
  "erp",
] as const;
export type Channel = typeof CHANNELS[number];
export const isChannel = (v: unknown): v is Channel =>
  typeof v === "string" && (CHANNELS as readonly string[]).includes(v);

/** Larger client frames are answered with `frame_too_large`; the socket stays open. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** A socket not heard from (any frame, a ping included) for this long is closed with 4000. */
export const HEARTBEAT_TIMEOUT_MS = 90_000;
const MAX_CHANNELS_PER_FRAME = 32;

export interface CloseReason {
  code: number;
  reason: string;
}
export const CLOSE_HEARTBEAT_TIMEOUT: CloseReason = { code: 4000, reason: "heartbeat timeout" };
export const CLOSE_TOKEN_EXPIRED: CloseReason = { code: 4001, reason: "token expired" };
export const CLOSE_GOING_AWAY: CloseReason = { code: 1001, reason: "server shutting down" };

/** The exact ping and pong texts: on Workers the runtime answers this ping without waking the room. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/**
 * What a room keeps per socket. Plain data, small, so a Durable Object attachment (at most 16 KiB)
 * holds it across hibernation.
 */
export interface SocketSession {
  /** This socket's id: a user may hold several sockets (tabs), presence counts them. */
  sid: string;
  tenantId: string;
  userId: string;
  allowed: string[];
  channels: string[];
  /** Epoch ms: the access token's expiry. */
  expiresAt: number;
  /** Epoch ms: the last frame received from the client. */
  lastSeen: number;
  /** Set once the server decided to close it; such a socket no longer counts or receives. */
  closing?: boolean;
}

export function openSession(who: RealtimeIdentity, now: number, sid = crypto.randomUUID()): SocketSession {
  return {
    sid,
    tenantId: who.tenantId,
    userId: who.userId,
    allowed: who.channelsAllowed.filter(isChannel),
    channels: [],
    expiresAt: who.tokenExpiresAt,
    lastSeen: now,
  };
}

/** Why a socket must close now, if it must: the token's expiry first, then silence. */
export function closeDue(s: SocketSession, now: number, heartbeatTimeoutMs: number): CloseReason | null {
  if (now >= s.expiresAt) return CLOSE_TOKEN_EXPIRED;
  if (now - s.lastSeen > heartbeatTimeoutMs) return CLOSE_HEARTBEAT_TIMEOUT;
  return null;
}

/** The first frame of every socket: what it may subscribe to and how long it may stay. */
export function welcomeFrame(s: SocketSession, heartbeatTimeoutMs: number): string {
  return JSON.stringify({
    type: "welcome",
    user_id: s.userId,
    channels_allowed: s.allowed,
    heartbeat_timeout_seconds: Math.round(heartbeatTimeoutMs / 1000),
    expires_at: new Date(s.expiresAt).toISOString(),
  });
}

export function eventFrame(m: RealtimeMessage): string {
  return JSON.stringify({
    type: "event",
    channel: m.channel,
    event: m.event,
    data: m.data,
    id: m.id,
    created_at: m.createdAt,
  });
}

/** `agent.online` when a user's first socket opens, `agent.offline` when the last one goes. */
export function presenceMessage(
  tenantId: string,
  userId: string,
  online: boolean,
  now: number,
): RealtimeMessage {
  return {
    tenantId,
    channel: "agents",
    event: online ? "agent.online" : "agent.offline",
    data: { user_id: userId },
    id: uuidv7(now),
    createdAt: new Date(now).toISOString(),
  };
}

export type FrameErrorCode = "bad_frame" | "unknown_type" | "frame_too_large";

const errorFrame = (code: FrameErrorCode, message: string) =>
  JSON.stringify({ type: "error", code, message });

const encoder = new TextEncoder();
function textBytes(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most frames need no encoding to be measured.
  if (text.length * 3 <= MAX_FRAME_BYTES) return text.length;
  return encoder.encode(text).byteLength;
}

function channelList(v: unknown): string[] | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CHANNELS_PER_FRAME) return null;
  if (!v.every((c) => typeof c === "string" && c.length <= 64)) return null;
  return [...new Set(v as string[])];
}

/**
 * Applies one client frame to the socket's session (its subscriptions and last-seen time) and
 * returns the text to answer. A bad frame gets an error frame, never a dropped connection.
 */
export function applyFrame(
  s: SocketSession,
  data: string | ArrayBuffer | ArrayBufferView,
  now: number,
): string {
  s.lastSeen = now;
  if (typeof data !== "string") {
    return data.byteLength > MAX_FRAME_BYTES
      ? errorFrame("frame_too_large", `Frames are limited to ${MAX_FRAME_BYTES} bytes`)
      : errorFrame("bad_frame", "Send JSON text frames; binary frames are not accepted");
  }
  if (textBytes(data) > MAX_FRAME_BYTES) {
    return errorFrame("frame_too_large", `Frames are limited to ${MAX_FRAME_BYTES} bytes`);
  }
  if (data === PING_FRAME) return PONG_FRAME;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return errorFrame("bad_frame", "The frame is not valid JSON");
  }
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) {
    return errorFrame("bad_frame", "A frame is a JSON object with a string `type`");
  }
  const { type, channels } = frame as { type?: unknown; channels?: unknown };
  if (typeof type !== "string") {
    return errorFrame("bad_frame", "A frame is a JSON object with a string `type`");
  }
  switch (type) {
    case "ping":
      return PONG_FRAME;
    case "subscribe":
    case "unsubscribe": {
      const asked = channelList(channels);
      if (!asked) {
        return errorFrame(
          "bad_frame",
          `\`channels\` must be a non-empty array of at most ${MAX_CHANNELS_PER_FRAME} channel names`,
        );
      }
      if (type === "unsubscribe") {
        s.channels = s.channels.filter((c) => !asked.includes(c));
        return JSON.stringify({ type: "unsubscribed", channels: asked });
      }
      const granted = asked.filter((c) => s.allowed.includes(c));
      const denied = asked.filter((c) => !s.allowed.includes(c));
      s.channels = [...new Set([...s.channels, ...granted])];
      return JSON.stringify({ type: "subscribed", channels: granted, denied });
    }
    default:
      return errorFrame(
        "unknown_type",
        `Unknown frame type ${JSON.stringify(type.slice(0, 64))}; expected subscribe, unsubscribe or ping`,
      );
  }
}
