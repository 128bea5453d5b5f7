import type { DurableObjectNamespace } from "./cloudflare-types.ts";
import type { Realtime, RealtimeMessage } from "./realtime.ts";

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
    if (!res.ok) throw new Error(`room publish failed: ${res.status}`);
  }

  async online(tenantId: string): Promise<string[]> {
    const res = await this.#room(tenantId).fetch("https://room/online");
    return res.ok ? (await res.json() as { users: string[] }).users : [];
  }
}
