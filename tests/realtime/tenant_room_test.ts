import { strict as assert } from "node:assert";
import type {
  DurableObjectState,
  HibernatableWebSocket,
} from "../../src/platform/realtime/cloudflare-types.ts";
import { openSession, type SocketSession } from "../../src/platform/realtime/protocol.ts";
import { TenantRoom } from "../../src/platform/realtime/tenant-room.ts";

/**
 * The Durable Object room's own logic with a stand-in of the hibernation API: what workerd in the
 * Worker test cannot show without waiting (silence and token expiry found lazily on the next
 * event, pings the runtime answered counting as signs of life, the close handshake, presence).
 * Time is the attachments' timestamps, set in the past; nothing waits.
 */

class FakeSocket implements HibernatableWebSocket {
  readyState = 1;
  sent: string[] = [];
  closedWith: [number, string] | undefined;
  #attachment: unknown;
  constructor(readonly tags: string[], session: SocketSession) {
    this.#attachment = structuredClone(session);
  }
  send(message: string | ArrayBuffer): void {
    if (this.closedWith) throw new Error("closed");
    this.sent.push(String(message));
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code ?? 1005, reason ?? ""];
  }
  serializeAttachment(value: unknown): void {
    this.#attachment = structuredClone(value);
  }
  deserializeAttachment(): unknown {
    return structuredClone(this.#attachment);
  }
  session(): SocketSession {
    return this.deserializeAttachment() as SocketSession;
  }
  frames(): Record<string, unknown>[] {
    return this.sent.splice(0).map((s) => JSON.parse(s));
  }
}

function room() {
  const sockets: FakeSocket[] = [];
  const autoResponses = new Map<HibernatableWebSocket, Date>();
  const ctx: DurableObjectState = {
    acceptWebSocket: () => {},
    getWebSockets: (tag?: string) => sockets.filter((s) => !tag || s.tags.includes(tag)),
    setWebSocketAutoResponse: () => {},
    getWebSocketAutoResponseTimestamp: (ws) => autoResponses.get(ws) ?? null,
  };
  const g = globalThis as unknown as Record<string, unknown>;
  g.WebSocketRequestResponsePair ??= class {
    constructor(readonly request: string, readonly response: string) {}
  };
  const r = new TenantRoom(ctx, {});
  const add = (userId: string, opts: { channels?: string[]; lastSeen?: number; expiresAt?: number } = {}) => {
    const s = openSession({
      userId,
      tenantId: "t1",
      channelsAllowed: ["messages", "conversations", "agents"],
      tokenExpiresAt: opts.expiresAt ?? Date.now() + 600_000,
    }, opts.lastSeen ?? Date.now());
    s.channels = opts.channels ?? [];
    const ws = new FakeSocket([userId], s);
    sockets.push(ws);
    return ws;
  };
  const publish = async (channel: string, event: string) => {
    const res = await r.fetch(
      new Request("https://room/publish", {
        method: "POST",
        body: JSON.stringify({ tenantId: "t1", channel, event, data: {}, id: "e1", createdAt: "x" }),
      }),
    );
    return (await res.json() as { delivered: number }).delivered;
  };
  const online = async () =>
    ((await (await r.fetch(new Request("https://room/online"))).json()) as { users: string[] }).users.sort();
  return { r, sockets, autoResponses, add, publish, online };
}

const events = (ws: FakeSocket) => ws.frames().map((f) => `${f.channel}:${f.event}`);

Deno.test("TenantRoom: events go to subscribed, live sockets only", async () => {
  const { add, publish } = room();
  const a = add("u1", { channels: ["messages"] });
  const b = add("u2", { channels: ["conversations"] });
  assert.equal(await publish("messages", "message.received"), 1);
  assert.deepEqual(events(a), ["messages:message.received"]);
  assert.deepEqual(events(b), []);
});

Deno.test("TenantRoom: a silent socket is closed 4000 on the next event, and its user goes offline", async () => {
  const { r, add, publish, online } = room();
  const watcher = add("watcher", { channels: ["agents", "messages"] });
  const silent = add("u1", { channels: ["messages"], lastSeen: Date.now() - 91_000 });
  assert.equal(await publish("messages", "message.received"), 1);
  assert.deepEqual(silent.closedWith, [4000, "heartbeat timeout"]);
  assert.deepEqual(silent.sent, []);
  assert.equal(silent.session().closing, true);
  assert.deepEqual(events(watcher), ["messages:message.received", "agents:agent.offline"]);
  assert.deepEqual(await online(), ["watcher"]);
  // Its late close event does not announce the departure twice.
  r.webSocketClose(silent, 4000, "heartbeat timeout");
  assert.deepEqual(events(watcher), []);
});

Deno.test("TenantRoom: a ping the runtime answered counts as a sign of life", async () => {
  const { add, publish, autoResponses } = room();
  const s = add("u1", { channels: ["messages"], lastSeen: Date.now() - 200_000 });
  autoResponses.set(s, new Date(Date.now() - 1_000));
  assert.equal(await publish("messages", "message.received"), 1);
  assert.equal(s.closedWith, undefined);
});

Deno.test("TenantRoom: an expired token is closed 4001, on an event or on its own next frame", async () => {
  const { r, add, publish } = room();
  const onEvent = add("u1", { channels: ["messages"], expiresAt: Date.now() - 1 });
  await publish("messages", "message.received");
  assert.deepEqual(onEvent.closedWith, [4001, "token expired"]);
  assert.deepEqual(onEvent.sent, []);

  const onFrame = add("u2", { expiresAt: Date.now() - 1 });
  r.webSocketMessage(onFrame, '{"type":"ping"}');
  assert.deepEqual(onFrame.closedWith, [4001, "token expired"]);
  assert.deepEqual(onFrame.sent, [], "no pong for an expired token");
});

Deno.test("TenantRoom: frames update the attachment and are answered", () => {
  const { r, add } = room();
  const s = add("u1", { lastSeen: Date.now() - 60_000 });
  const before = s.session().lastSeen;
  r.webSocketMessage(s, JSON.stringify({ type: "subscribe", channels: ["messages", "campaigns"] }));
  assert.deepEqual(s.frames(), [{ type: "subscribed", channels: ["messages"], denied: ["campaigns"] }]);
  assert.deepEqual(s.session().channels, ["messages"], "kept across hibernation, in the attachment");
  assert.ok(s.session().lastSeen > before);
  r.webSocketMessage(s, "{nope");
  assert.deepEqual(s.frames().map((f) => f.code), ["bad_frame"]);
  r.webSocketMessage(s, new ArrayBuffer(70 * 1024));
  assert.deepEqual(s.frames().map((f) => f.code), ["frame_too_large"]);
  assert.equal(s.closedWith, undefined);
});

Deno.test("TenantRoom: the close handshake is reciprocated, and the last socket announces offline", async () => {
  const { r, add, online } = room();
  const watcher = add("watcher", { channels: ["agents"] });
  const tab1 = add("u1");
  const tab2 = add("u1");
  r.webSocketClose(tab1, 1006, "");
  assert.deepEqual(tab1.closedWith, [1000, ""], "reserved codes are answered with 1000");
  assert.deepEqual(events(watcher), [], "another tab is still open");
  assert.deepEqual(await online(), ["u1", "watcher"]);
  r.webSocketClose(tab2, 1001, "going away");
  assert.deepEqual(tab2.closedWith, [1001, "going away"]);
  assert.deepEqual(events(watcher), ["agents:agent.offline"]);
  r.webSocketClose(tab2, 1001, "going away");
  assert.deepEqual(events(watcher), [], "announced once");
  assert.deepEqual(await online(), ["watcher"]);
});

Deno.test("TenantRoom: the identity must come from the Worker", async () => {
  const { r } = room();
  const res = await r.fetch(new Request("https://room/connect", { headers: { upgrade: "websocket" } }));
  assert.equal(res.status, 400);
  await res.body?.cancel();
  const forged = await r.fetch(
    new Request("https://room/connect", {
      headers: { upgrade: "websocket", "x-pytake-identity": JSON.stringify({ userId: "u1" }) },
    }),
  );
  assert.equal(forged.status, 400);
  await forged.body?.cancel();
  const other = await r.fetch(new Request("https://room/anything"));
  assert.equal(other.status, 404);
  await other.body?.cancel();
});
