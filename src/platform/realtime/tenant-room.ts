import type { DurableObjectState, HibernatableWebSocket } from "./cloudflare-types.ts";
import { autoResponsePair, webSocketPair } from "./cloudflare-types.ts";
import {
  applyFrame,
  CLOSE_TOKEN_EXPIRED,
  closeDue,
  type CloseReason,
  eventFrame,
  HEARTBEAT_TIMEOUT_MS,
  isChannel,
  openSession,
  PING_FRAME,
  PONG_FRAME,
  presenceMessage,
  type SocketSession,
  welcomeFrame,
} from "./protocol.ts";
import type { RealtimeIdentity, RealtimeMessage } from "./realtime.ts";

/** Header through which the Worker hands the authenticated identity to the room. */
export const IDENTITY_HEADER = "x-pytake-identity";
/** Header naming the subprotocol to echo in the 101 (never the token). */
export const PROTOCOL_HEADER = "x-pytake-protocol";

interface Live {
  ws: HibernatableWebSocket;
  s: SocketSession;
}

function parseIdentity(raw: string | null): RealtimeIdentity | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<RealtimeIdentity>;
    const ok = typeof v.userId === "string" && v.userId !== "" && typeof v.tenantId === "string" &&
      Array.isArray(v.channelsAllowed) && v.channelsAllowed.every(isChannel) &&
      typeof v.tokenExpiresAt === "number";
    return ok ? v as RealtimeIdentity : null;
  } catch {
    return null;
  }
}

/** Close codes a peer may not send back (1005, 1006, 1015) become 1000 (pitfall E.3). */
const replyCode = (code: number) => (code === 1005 || code === 1006 || code === 1015 ? 1000 : code);

/**
 * One Durable Object per tenant holding its WebSockets with the hibernation API (known-pitfalls E):
 * - sockets are accepted with `ctx.acceptWebSocket` (never `accept()`, which pins the object in
 *   memory) and their events arrive through the class methods;
 * - each socket's identity, subscriptions, token expiry and last-seen time live in its attachment,
 *   since in-memory fields vanish on hibernation; the room keeps nothing else;
 * - no timers (they prevent hibernation): silent sockets and expired tokens are closed lazily, on
 *   the next event, frame or presence query; a `{"type":"ping"}` is answered by the runtime without
 *   waking the object, and the time of that answer counts as the socket's last sign of life.
 * The Worker authenticates before forwarding; the object is reachable only through its binding.
 */
export class TenantRoom {
  constructor(private readonly ctx: DurableObjectState, _env: unknown) {
    ctx.setWebSocketAutoResponse(autoResponsePair(PING_FRAME, PONG_FRAME));
  }

  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/publish" && req.method === "POST") {
      const message = await req.json() as RealtimeMessage;
      const { live, offline } = this.#live(Date.now());
      const delivered = this.#broadcast(live, message);
      this.#announceOffline(live, offline);
      return Response.json({ delivered });
    }
    if (url.pathname === "/online") {
      const { live, offline } = this.#live(Date.now());
      this.#announceOffline(live, offline);
      return Response.json({ users: [...new Set(live.map((l) => l.s.userId))] });
    }
    if (url.pathname === "/connect" && req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return this.#connect(req);
    }
    return new Response("not found", { status: 404 });
  }

  #connect(req: Request): Response {
    const who = parseIdentity(req.headers.get(IDENTITY_HEADER));
    if (!who) return new Response("missing or invalid identity", { status: 400 });
    const now = Date.now();
    const { live, offline } = this.#live(now);
    const wasOnline = live.some((l) => l.s.userId === who.userId);
    const [client, server] = webSocketPair();
    this.ctx.acceptWebSocket(server, [who.userId]);
    const session = openSession(who, now);
    server.serializeAttachment(session);
    server.send(welcomeFrame(session, HEARTBEAT_TIMEOUT_MS));
    this.#announceOffline(live, offline);
    if (!wasOnline) this.#broadcast(live, presenceMessage(who.tenantId, who.userId, true, now));
    const protocol = req.headers.get(PROTOCOL_HEADER);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { "Sec-WebSocket-Protocol": protocol } : {},
    } as ResponseInit);
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const s = this.#session(ws);
    if (!s || s.closing) return;
    const now = Date.now();
    // A frame proves the socket alive, but not its token: that is checked on every frame.
    if (now >= s.expiresAt) {
      this.#close(ws, s, CLOSE_TOKEN_EXPIRED);
      this.#leftIfLast(s, now);
      return;
    }
    const reply = applyFrame(s, message, now);
    ws.serializeAttachment(s);
    ws.send(reply);
  }

  webSocketClose(ws: HibernatableWebSocket, code: number, reason: string): void {
    // Reciprocate the close handshake, or clients hang in CLOSING and see 1006 (pitfall E.3).
    try {
      ws.close(replyCode(code), reason);
    } catch {
      // already closed
    }
    this.#gone(ws);
  }

  webSocketError(ws: HibernatableWebSocket): void {
    try {
      ws.close(1011, "error");
    } catch {
      // already closed
    }
    this.#gone(ws);
  }

  /** The client went away by itself: it no longer counts, and its user may be offline now. */
  #gone(ws: HibernatableWebSocket): void {
    const s = this.#session(ws);
    if (!s || s.closing) return;
    s.closing = true;
    try {
      ws.serializeAttachment(s);
    } catch {
      // A closed socket may refuse; the flag only matters while it is still listed.
    }
    this.#leftIfLast(s, Date.now());
  }

  #leftIfLast(s: SocketSession, now: number): void {
    const { live, offline } = this.#live(now);
    const still = live.some((l) => l.s.userId === s.userId) || offline.some((o) => o.userId === s.userId);
    this.#announceOffline(live, still ? offline : [...offline, s]);
  }

  #session(ws: HibernatableWebSocket): SocketSession | null {
    const s = ws.deserializeAttachment() as SocketSession | null;
    if (!s) return null;
    // Pings the runtime answered on our behalf never reached the attachment.
    const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    if (pinged > s.lastSeen) s.lastSeen = pinged;
    return s;
  }

  /**
   * The sockets that still count. Silent ones and expired tokens are closed here (pitfall E.4:
   * some sockets never deliver a close); `offline` holds the last socket of each user it left with
   * none.
   */
  #live(now: number): { live: Live[]; offline: SocketSession[] } {
    const live: Live[] = [];
    const pruned = new Map<string, SocketSession>();
    for (const ws of this.ctx.getWebSockets()) {
      const s = this.#session(ws);
      if (!s || s.closing) continue;
      const reason = closeDue(s, now, HEARTBEAT_TIMEOUT_MS);
      if (reason) {
        this.#close(ws, s, reason);
        pruned.set(s.userId, s);
      } else live.push({ ws, s });
    }
    const offline = [...pruned.values()].filter((p) => !live.some((l) => l.s.userId === p.userId));
    return { live, offline };
  }

  #close(ws: HibernatableWebSocket, s: SocketSession, reason: CloseReason): void {
    s.closing = true;
    try {
      ws.serializeAttachment(s);
      ws.close(reason.code, reason.reason);
    } catch {
      // already closed
    }
  }

  #broadcast(live: Live[], message: RealtimeMessage): number {
    const frame = eventFrame(message);
    let delivered = 0;
    for (const { ws, s } of live) {
      if (!s.channels.includes(message.channel)) continue;
      try {
        ws.send(frame);
        delivered++;
      } catch {
        // Closing right now; webSocketClose cleans up.
      }
    }
    return delivered;
  }

  #announceOffline(live: Live[], offline: SocketSession[]): void {
    const now = Date.now();
    for (const s of offline) this.#broadcast(live, presenceMessage(s.tenantId, s.userId, false, now));
  }
}
