import { strict as assert } from "node:assert";
import { allowedChannels } from "../../routes/realtime/ws.ts";
import { rolePermissions } from "../../src/auth/permissions.ts";
import { CHANNELS } from "../../src/platform/realtime/protocol.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { addUser, createApiKey, registerTenant } from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";
import { type Frame, rawHandshake, WsClient } from "../support/ws-client.ts";

/**
 * `GET /ws` on Deno through a real server on loopback and real WebSocket clients: authentication
 * before the upgrade, subscriptions gated by permissions, tenant isolation, bad frames, presence,
 * heartbeats and token expiry. Time is moved with the harness clock; nothing waits on a timer.
 */

const handshakeHeaders = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

const eventNames = (frames: Frame[]) => frames.map((f) => `${f.channel}:${f.event}`).sort();

async function served(ctx: TestContext) {
  const server = await ctx.listen();
  const ws = server.url.replace(/^http/, "ws") + "/ws";
  const open = (token: string, query = "") => WsClient.open(`${ws}?token=${token}${query}`);
  return { server, ws, open };
}

Deno.test("GET /ws: handshake and authentication", async (t) => {
  const ctx = await createTestContext();
  const { server, ws, open } = await served(ctx);
  try {
    const a = await registerTenant(ctx, { tenantName: "WS Auth A" });

    await t.step("documented in OpenAPI: GET /ws, tag Realtime, a 101, a signed-in user", async () => {
      const doc = await body<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(
        await ctx.request("/openapi.json"),
      );
      const op = doc.paths["/ws"].get;
      assert.deepEqual(op.tags, ["Realtime"]);
      assert.deepEqual(op["x-pytake-access"], { user: true });
      assert.deepEqual(op.security, [{ bearerAuth: [] }]);
      const responses = op.responses as Record<string, unknown>;
      for (const status of ["101", "401", "403", "426"]) assert.ok(status in responses, status);
      assert.match(String(op.description), /"type":"subscribe"/);
      assert.match(String(op.description), /4001/);
    });

    await t.step("a plain GET (no upgrade) is 426 Upgrade Required", async () => {
      const res = await ctx.request("/ws", { token: a.token });
      const p = await body(res);
      assert.equal(res.status, 426);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.equal(res.headers.get("upgrade"), "websocket");
      assert.equal(p.code, "upgrade_required");
    });

    await t.step("no token or a bad one: a 401 problem on the wire, never a 101", async () => {
      for (
        const headers of <Record<string, string>[]> [
          {},
          { authorization: "Bearer not-a-jwt" },
          { "sec-websocket-protocol": "pytake, bearer.not-a-jwt" },
          { authorization: `Bearer ${a.token}x` },
        ]
      ) {
        const res = await rawHandshake(server.url, "/ws", headers);
        assert.equal(res.statusLine, "HTTP/1.1 401 Unauthorized", JSON.stringify(headers));
        assert.match(res.head, /content-type: application\/problem\+json/i);
        assert.doesNotMatch(res.head, /sec-websocket-accept/i);
        assert.equal(JSON.parse(res.body).code, "unauthorized");
      }
      const badQuery = await rawHandshake(server.url, "/ws?token=not-a-jwt", {});
      assert.equal(badQuery.statusLine, "HTTP/1.1 401 Unauthorized");
      // A browser-like client sees the handshake fail: no socket ever opens.
      await assert.rejects(WsClient.open(`${ws}?token=not-a-jwt`), /handshake failed/);
    });

    await t.step("API keys and the metrics scraper are refused (403), before the upgrade", async () => {
      const key = await createApiKey(ctx, a.token);
      for (const token of [key, "scrape-token-for-tests"]) {
        const res = await ctx.request("/ws", { token, headers: handshakeHeaders });
        const p = await body(res);
        assert.equal(res.status, 403, JSON.stringify(p));
        assert.equal(p.code, "forbidden");
      }
      const raw = await rawHandshake(server.url, `/ws?token=${key}`, {});
      assert.equal(raw.statusLine, "HTTP/1.1 403 Forbidden");
    });

    await t.step("the platform admin, who has no tenant, is refused", async () => {
      const root = await body<{ token: string }>(
        await ctx.request("/api/v1/auth/login", {
          method: "POST",
          json: { email: "root@pytake.test", password: "Root-password-1" },
        }),
      );
      const res = await ctx.request("/ws", { token: root.token, headers: handshakeHeaders });
      assert.equal(res.status, 403);
      await res.body?.cancel();
    });

    await t.step("a token in the URL counts only on the handshake of /ws", async () => {
      const me = await ctx.request(`/api/v1/auth/me?token=${a.token}`);
      assert.equal(me.status, 401);
      await me.body?.cancel();
      const plain = await ctx.request(`/ws?token=${a.token}`);
      assert.equal(plain.status, 401, "no upgrade: the query token is not looked at");
      await plain.body?.cancel();
      const protocolOnPlain = await ctx.request("/api/v1/auth/me", {
        headers: { ...handshakeHeaders, "sec-websocket-protocol": `pytake, bearer.${a.token}` },
      });
      assert.equal(protocolOnPlain.status, 401, "the subprotocol token is for /ws only");
      await protocolOnPlain.body?.cancel();
    });

    await t.step("Authorization header: a real client connects", async () => {
      const c = await WsClient.open(ws, { headers: { authorization: `Bearer ${a.token}` } });
      assert.equal(c.welcome.user_id, a.userId);
      assert.equal(c.protocol, "");
      await c.close();
    });

    await t.step("subprotocol: the 101 echoes `pytake`, never the token", async () => {
      const c = await WsClient.open(ws, ["pytake", `bearer.${a.token}`]);
      assert.equal(c.protocol, "pytake");
      assert.equal(c.welcome.user_id, a.userId);
      await c.close();
      const raw = await rawHandshake(server.url, "/ws", {
        "sec-websocket-protocol": `pytake, bearer.${a.token}`,
      });
      assert.equal(raw.statusLine, "HTTP/1.1 101 Switching Protocols");
      assert.match(raw.head, /\r\nsec-websocket-protocol: pytake\r\n/i);
      assert.ok(!raw.head.includes(a.token), "the token is not echoed");
    });

    await t.step("subprotocols offered without `pytake` are refused (nothing safe to echo)", async () => {
      const res = await rawHandshake(server.url, "/ws", { "sec-websocket-protocol": `bearer.${a.token}` });
      assert.equal(res.statusLine, "HTTP/1.1 400 Bad Request");
      assert.match(JSON.parse(res.body).detail, /pytake/);
    });

    await t.step("query token: connects; the welcome says what the role may follow", async () => {
      const viewer = await addUser(ctx, a.token, "viewer");
      const c = await open(viewer.token);
      assert.equal(c.welcome.user_id, viewer.userId);
      assert.deepEqual(c.welcome.channels_allowed, [...CHANNELS]);
      assert.equal(c.welcome.heartbeat_timeout_seconds, 90);
      assert.ok(Date.parse(String(c.welcome.expires_at)) > Date.now());
      await c.close();
    });
  } finally {
    await ctx.close();
    await server.close();
  }
});

Deno.test("GET /ws: subscriptions, events, isolation and frames", async (t) => {
  const ctx = await createTestContext();
  const { server, open } = await served(ctx);
  const sockets: WsClient[] = [];
  const track = async (p: Promise<WsClient>) => {
    const c = await p;
    sockets.push(c);
    return c;
  };
  try {
    const a = await registerTenant(ctx, { tenantName: "WS Events A" });
    const b = await registerTenant(ctx, { tenantName: "WS Events B" });
    const number = await addSandboxNumber(ctx, a.token);
    const customer = customerPhone();

    const owner = await track(open(a.token));
    const other = await track(open(b.token));

    await t.step("subscribe answers granted and denied channels", async () => {
      assert.deepEqual(
        await owner.ask({ type: "subscribe", channels: ["messages", "messages", "metrics"] }),
        {
          type: "subscribed",
          channels: ["messages"],
          denied: ["metrics"],
        },
      );
      assert.deepEqual(await other.ask({ type: "subscribe", channels: [...CHANNELS] }), {
        type: "subscribed",
        channels: [...CHANNELS],
        denied: [],
      });
    });

    await t.step("events arrive for the subscribed channels only", async () => {
      await customerWrites(ctx, a.token, number.id, customer, "Minha internet caiu");
      await ctx.settle();
      const events = await owner.events();
      assert.deepEqual(eventNames(events), ["messages:message.received"]);
      const [received] = events;
      assert.equal(typeof received.id, "string");
      assert.ok(!Number.isNaN(Date.parse(String(received.created_at))));
      const data = received.data as { message: { content: { text: string } } };
      assert.equal(JSON.stringify(data).includes("Minha internet caiu"), true);
    });

    await t.step("another tenant's socket, subscribed to everything, sees none of it", async () => {
      assert.deepEqual(await other.events(), []);
    });

    await t.step("subscribing more adds channels; unsubscribing stops them", async () => {
      assert.deepEqual(await owner.ask({ type: "subscribe", channels: ["conversations", "contacts"] }), {
        type: "subscribed",
        channels: ["conversations", "contacts"],
        denied: [],
      });
      const created = await ctx.request("/api/v1/contacts", {
        method: "POST",
        token: a.token,
        json: { phone: customerPhone(), name: "Cliente Novo" },
      });
      assert.equal(created.status, 201, await created.text());
      assert.deepEqual(eventNames(await owner.events()), ["contacts:contact.created"]);

      assert.deepEqual(await owner.ask({ type: "unsubscribe", channels: ["messages", "contacts"] }), {
        type: "unsubscribed",
        channels: ["messages", "contacts"],
      });
      await customerWrites(ctx, a.token, number.id, customerPhone(), "Outro cliente");
      await ctx.settle();
      const names = eventNames(await owner.events());
      assert.ok(names.length > 0 && names.every((n) => n.startsWith("conversations:")), names.join());
      assert.ok(names.includes("conversations:conversation.created"));
      assert.deepEqual(await other.events(), []);
    });

    await t.step("malformed, unknown and oversized frames get error frames; the socket stays", async () => {
      const cases: [unknown, string][] = [
        ["not json", "bad_frame"],
        ["[1,2]", "bad_frame"],
        ['"ping"', "bad_frame"],
        ['{"channels":["messages"]}', "bad_frame"],
        [{ type: "subscribe" }, "bad_frame"],
        [{ type: "subscribe", channels: "messages" }, "bad_frame"],
        [{ type: "subscribe", channels: [] }, "bad_frame"],
        [{ type: "subscribe", channels: [1] }, "bad_frame"],
        [{ type: "dance" }, "unknown_type"],
        [new Uint8Array([1, 2, 3]), "bad_frame"],
        [JSON.stringify({ type: "ping", pad: "x".repeat(70 * 1024) }), "frame_too_large"],
        [new Uint8Array(65 * 1024), "frame_too_large"],
      ];
      for (const [frame, code] of cases) {
        const reply = await owner.ask(frame);
        assert.equal(reply.type, "error", JSON.stringify(reply));
        assert.equal(reply.code, code, `${String(frame).slice(0, 40)}: ${JSON.stringify(reply)}`);
        assert.equal(typeof reply.message, "string");
      }
      assert.deepEqual(await owner.ask({ type: "ping" }), { type: "pong" });
      assert.equal(owner.socket.readyState, WebSocket.OPEN);
    });

    await t.step("presence: agent.online on the first socket, agent.offline after the last", async () => {
      assert.deepEqual(await owner.ask({ type: "subscribe", channels: ["agents"] }), {
        type: "subscribed",
        channels: ["agents"],
        denied: [],
      });
      const agent = await addUser(ctx, a.token, "agent");
      const first = await track(open(agent.token));
      assert.deepEqual(
        (await owner.events()).map((f) => [f.channel, f.event, f.data]),
        [["agents", "agent.online", { user_id: agent.userId }]],
      );
      assert.deepEqual(
        (await ctx.services.realtime.online(a.tenantId)).sort(),
        [a.userId, agent.userId].sort(),
      );
      assert.deepEqual(await ctx.services.realtime.online(b.tenantId), [b.userId]);

      const second = await track(open(agent.token));
      assert.deepEqual(await owner.events(), [], "a second tab is not a second arrival");
      await first.close();
      assert.deepEqual(await owner.events(), [], "one tab left: still online");
      assert.ok((await ctx.services.realtime.online(a.tenantId)).includes(agent.userId));
      await second.close();
      assert.deepEqual(
        (await owner.events()).map((f) => [f.event, f.data]),
        [["agent.offline", { user_id: agent.userId }]],
      );
      assert.deepEqual(await ctx.services.realtime.online(a.tenantId), [a.userId]);
      assert.deepEqual(await other.events(), [], "presence stays in its tenant");
    });
  } finally {
    for (const s of sockets) await s.close();
    await ctx.close();
    await server.close();
  }
});

Deno.test("GET /ws: channels follow permissions", async (t) => {
  await t.step("each channel needs its read permission; every role reads all six today", () => {
    for (const role of ["viewer", "agent", "supervisor", "admin", "owner"] as const) {
      assert.deepEqual(allowedChannels(new Set(rolePermissions[role])), [...CHANNELS], role);
    }
    assert.deepEqual(allowedChannels(new Set(["read:messages", "read:dashboard"])), ["messages", "agents"]);
    assert.deepEqual(allowedChannels(new Set()), []);
  });

  // No role lacks a channel's permission today, so the room's refusal is driven with an identity
  // whose permissions hold two channels only (what `allowedChannels` gives such a principal).
  const ctx = await createTestContext({
    extend: (app) =>
      app.get("/test/ws-limited", (c) =>
        c.get("services").realtime.connect(c.req.raw, {
          userId: c.req.query("user")!,
          tenantId: c.req.query("tenant")!,
          channelsAllowed: allowedChannels(new Set(["read:messages", "read:dashboard"])),
          tokenExpiresAt: Date.now() + 60_000,
        })),
  });
  const server = await ctx.listen();
  try {
    const a = await registerTenant(ctx, { tenantName: "WS Limited" });
    const number = await addSandboxNumber(ctx, a.token);
    const url = `${server.url.replace(/^http/, "ws")}/test/ws-limited?user=${a.userId}&tenant=${a.tenantId}`;
    const limited = await WsClient.open(url);
    try {
      await t.step("subscribing beyond the permissions is denied, the rest granted", async () => {
        assert.deepEqual(limited.welcome.channels_allowed, ["messages", "agents"]);
        assert.deepEqual(
          await limited.ask({ type: "subscribe", channels: ["campaigns", "messages", "conversations"] }),
          { type: "subscribed", channels: ["messages"], denied: ["campaigns", "conversations"] },
        );
      });
      await t.step("and nothing of a denied channel is delivered", async () => {
        await customerWrites(ctx, a.token, number.id, customerPhone());
        await ctx.settle();
        assert.deepEqual(eventNames(await limited.events()), ["messages:message.received"]);
      });
    } finally {
      await limited.close();
    }
  } finally {
    await ctx.close();
    await server.close();
  }
});

Deno.test("GET /ws: heartbeat timeout and token expiry", async (t) => {
  await t.step("a silent socket is closed with 4000 by the sweep", async () => {
    const ctx = await createTestContext({ realtime: { heartbeatTimeoutMs: 5_000, sweepIntervalMs: 10 } });
    const { server, open } = await served(ctx);
    try {
      const a = await registerTenant(ctx, { tenantName: "WS Heartbeat" });
      const c = await open(a.token);
      assert.equal(c.welcome.heartbeat_timeout_seconds, 5);
      ctx.clock.advance(6_000);
      assert.deepEqual(await c.closed, { code: 4000, reason: "heartbeat timeout" });
      assert.deepEqual(await ctx.services.realtime.online(a.tenantId), []);
    } finally {
      await ctx.close();
      await server.close();
    }
  });

  await t.step("without the sweep, the next event prunes it and announces agent.offline", async () => {
    // The default 90 s, and a sweep that never runs during the test: the lazy path alone.
    const ctx = await createTestContext({ realtime: { sweepIntervalMs: 3_600_000 } });
    const { server, open } = await served(ctx);
    try {
      const a = await registerTenant(ctx, { tenantName: "WS Lazy" });
      const agent = await addUser(ctx, a.token, "agent");
      const silent = await open(agent.token);
      const watcher = await open(a.token);
      await watcher.ask({ type: "subscribe", channels: ["agents", "contacts"] });
      ctx.clock.advance(91_000);
      // The watcher speaks (so it is alive); the agent's socket has been silent for 91 s.
      assert.deepEqual(await watcher.ask({ type: "ping" }), { type: "pong" });
      const created = await ctx.request("/api/v1/contacts", {
        method: "POST",
        token: a.token,
        json: { phone: customerPhone(), name: "Depois do silêncio" },
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      assert.deepEqual(await silent.closed, { code: 4000, reason: "heartbeat timeout" });
      assert.deepEqual(eventNames(await watcher.events()), [
        "agents:agent.offline",
        "contacts:contact.created",
      ]);
      assert.deepEqual(await ctx.services.realtime.online(a.tenantId), [a.userId]);
      await watcher.close();
    } finally {
      await ctx.close();
      await server.close();
    }
  });

  await t.step("an expired token closes the socket with 4001 (sweep)", async () => {
    const ctx = await createTestContext({ realtime: { sweepIntervalMs: 10 } });
    const { server, open } = await served(ctx);
    try {
      const a = await registerTenant(ctx, { tenantName: "WS Expiry" });
      const c = await open(a.token);
      ctx.clock.advance(15 * 60_000 + 1_000);
      assert.deepEqual(await c.closed, { code: 4001, reason: "token expired" });
    } finally {
      await ctx.close();
      await server.close();
    }
  });

  await t.step("an expired token closes the socket with 4001 on its next frame", async () => {
    const ctx = await createTestContext({ realtime: { sweepIntervalMs: 3_600_000 } });
    const { server, open } = await served(ctx);
    try {
      const a = await registerTenant(ctx, { tenantName: "WS Expiry Frame" });
      const c = await open(a.token);
      ctx.clock.advance(15 * 60_000 + 1_000);
      c.send({ type: "ping" });
      await assert.rejects(c.next(), /socket closed/, "no pong for an expired token");
      assert.deepEqual(await c.closed, { code: 4001, reason: "token expired" });
    } finally {
      await ctx.close();
      await server.close();
    }
  });
});
