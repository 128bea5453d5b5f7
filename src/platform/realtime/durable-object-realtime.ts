import type { DurableObjectNamespace } from "./cloudflare-types.ts";
import type { ConnectOptions, Realtime, RealtimeIdentity, RealtimeMessage } from "./realtime.ts";
import { IDENTITY_HEADER, PROTOCOL_HEADER } from "./tenant-room.ts";

/**
 * Realtime on Workers: each tenant's sockets live in one Durable Object (`TenantRoom`), reached
 * by name from any isolate, so an event published by any request reaches every socket.
 */
export class DurableObjectRealtime implements Realtime {
  constructor(private readonly rooms: DurableObjectNamespace) {}

  #room(tenantId: string) {
    return this.rooms.get(this.rooms.idFromName(`tenant:${tenantId}`));
  }

  async publish(message: RealtimeMessage): Promise<void> {
    const res = await this.#room(message.tenantId).fetch("https://room/publish", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`room publish failed: ${res.status}`);
  }

  async online(tenantId: string): Promise<string[]> {
    const res = await this.#room(tenantId).fetch("https://room/online");
    return res.ok ? (await res.json() as { users: string[] }).users : [];
  }

  /**
   * Hands the upgrade to the tenant's room with the identity the Worker authenticated. A new
   * request, not the client's: the token (query or subprotocol) never reaches the room. The
   * room's 101 goes back unchanged (rebuilding it loses the socket, pitfall D.6).
   */
  connect(req: Request, who: RealtimeIdentity, opts: ConnectOptions = {}): Promise<Response> {
    const headers = new Headers({ upgrade: "websocket", [IDENTITY_HEADER]: JSON.stringify(who) });
    if (opts.protocol) headers.set(PROTOCOL_HEADER, opts.protocol);
    for (const h of ["sec-websocket-key", "sec-websocket-version"]) {
      const v = req.headers.get(h);
      if (v) headers.set(h, v);
    }
    return this.#room(who.tenantId).fetch("https://room/connect", { headers });
  }
}
