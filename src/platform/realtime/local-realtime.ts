import type { Realtime, RealtimeMessage } from "./realtime.ts";

export interface Subscriber {
  userId: string;
  deliver(message: RealtimeMessage): void;
}

/** In-process hub: one process holds every connection (Deno, `deno task dev`, tests). */
export class LocalRealtime implements Realtime {
  #rooms = new Map<string, Set<Subscriber>>();

  subscribe(tenantId: string, sub: Subscriber): () => void {
    let room = this.#rooms.get(tenantId);
    if (!room) this.#rooms.set(tenantId, room = new Set());
    room.add(sub);
    return () => {
      room.delete(sub);
      if (room.size === 0) this.#rooms.delete(tenantId);
    };
  }

  publish(message: RealtimeMessage): Promise<void> {
    for (const sub of this.#rooms.get(message.tenantId) ?? []) sub.deliver(message);
    return Promise.resolve();
  }

  online(tenantId: string): Promise<string[]> {
    return Promise.resolve([...new Set([...this.#rooms.get(tenantId) ?? []].map((s) => s.userId))]);
  }
}
