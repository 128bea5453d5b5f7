import type { DurableObjectState, HibernatableWebSocket } from "./cloudflare-types.ts";
import { webSocketPair } from "./cloudflare-types.ts";
import type { RealtimeMessage } from "./realtime.ts";

interface SocketState {
  userId: string;
  channels: string[];
}

/**
 * One Durable Object per tenant holding its WebSockets with the hibernation API: sockets are
 * accepted with `ctx.acceptWebSocket` (never `accept()`, which pins the object in memory), their
 * identity lives in attachments (in-memory fields vanish on hibernation), and events arrive
 * through class methods (known-pitfalls E.1-E.5). The Worker authenticates before forwarding.
 */
export class TenantRoom {
  constructor(private readonly ctx: DurableObjectState, _env: unknown) {}

  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/publish" && req.method === "POST") {
      const message = await req.json() as RealtimeMessage;
      const frame = JSON.stringify({
        type: "event",
        channel: message.channel,
        event: message.event,
        data: message.data,
        id: message.id,
        created_at: message.createdAt,
      });
      let delivered = 0;
      for (const ws of this.ctx.getWebSockets()) {
        const state = ws.deserializeAttachment() as SocketState | null;
        if (!state || !state.channels.includes(message.channel)) continue;
        try {
          ws.send(frame);
          delivered++;
        } catch {
          // A socket closing right now; webSocketClose cleans it up.
        }
      }
      return Response.json({ delivered });
    }
    if (url.pathname === "/online") {
      const users = new Set<string>();
      for (const ws of this.ctx.getWebSockets()) {
        const state = ws.deserializeAttachment() as SocketState | null;
        if (state) users.add(state.userId);
      }
      return Response.json({ users: [...users] });
    }
    if (url.pathname === "/connect" && req.headers.get("upgrade") === "websocket") {
      const userId = req.headers.get("x-pytake-user-id");
      const channels = (req.headers.get("x-pytake-channels") ?? "").split(",").filter(Boolean);
      if (!userId) return new Response("missing user", { status: 400 });
      const [client, server] = webSocketPair();
      this.ctx.acceptWebSocket(server, [userId]);
      server.serializeAttachment({ userId, channels } satisfies SocketState);
      return new Response(null, { status: 101, webSocket: client } as ResponseInit);
    }
    return new Response("not found", { status: 404 });
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    if (typeof message === "string" && message.includes('"ping"')) {
      ws.send(JSON.stringify({ type: "pong" }));
    }
  }

  webSocketClose(ws: HibernatableWebSocket, code: number, reason: string): void {
    // Reciprocate the close handshake; reserved codes cannot be sent back (pitfall E.3).
    try {
      ws.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  webSocketError(ws: HibernatableWebSocket): void {
    try {
      ws.close(1011, "error");
    } catch {
      // already closed
    }
  }
}
