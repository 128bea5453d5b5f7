import { strict as assert } from "node:assert";
import { and, eq } from "drizzle-orm";
import { contacts, conversations, messages, webhookEvents, whatsappConfigs } from "../../db/schema/index.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { type Account, loginToken, registerTenant } from "../support/identity.ts";
import {
  type GraphStandIn,
  inboundTextPayload,
  serializeWebhookPayload,
  signWebhookBody,
  startGraphStandIn,
  statusPayload,
} from "../support/graph-standin.ts";
import { addNumber, type NumberView } from "../support/whatsapp.ts";

const PHONE_NUMBER_ID = "106540352242922";
const WABA = "102290129340398";
const TOKEN = "EAAGtestaccesstoken0123456789";
const SECRET = "test_app_secret";
const DISPLAY = "5511955551234";

type Message = {
  id: string;
  status: string;
  type: string;
  body: string | null;
  provider_message_id: string;
  conversation_id: string;
  contact_id: string;
  direction: string;
  reply_to: string | null;
};

interface Fixture {
  ctx: TestContext;
  graph: GraphStandIn;
  owner: Account;
  number: NumberView;
  webhook(payload: unknown, opts?: { secret?: string; signature?: string }): Promise<Response>;
  close(): Promise<void>;
}

async function setup(): Promise<Fixture> {
  const graph = await startGraphStandIn();
  graph.addNumber({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: TOKEN,
    displayPhoneNumber: "+55 11 95555-1234",
    verifiedName: "Fibra Rápida",
    qualityRating: "GREEN",
    messagingLimitTier: "TIER_1K",
    wabaId: WABA,
  });
  const ctx = await createTestContext({ env: { WHATSAPP_GRAPH_BASE_URL: graph.url } });
  const owner = await registerTenant(ctx);
  const number = await addNumber(ctx, owner.token, {
    api_type: "official",
    name: "Atendimento",
    phone_number: `+${DISPLAY}`,
    phone_number_id: PHONE_NUMBER_ID,
    business_account_id: WABA,
    access_token: TOKEN,
    app_secret: SECRET,
  });
  return {
    ctx,
    graph,
    owner,
    number,
    async webhook(payload, opts = {}) {
      // What Meta delivered, Meta knows: its read receipts accept these ids.
      for (
        const e
          of (payload as { entry?: { changes?: { value?: { messages?: { id: string }[] } }[] }[] }).entry ??
            []
      ) {
        for (const ch of e.changes ?? []) {
          for (const m of ch.value?.messages ?? []) graph.markReceived(PHONE_NUMBER_ID, m.id);
        }
      }
      const raw = serializeWebhookPayload(payload);
      const signature = opts.signature ?? await signWebhookBody(raw, opts.secret ?? SECRET);
      const res = await ctx.request("/api/v1/whatsapp/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
        body: raw,
      });
      await ctx.settle();
      return res;
    },
    async close() {
      await ctx.close();
      await graph.close();
    },
  };
}

const meta = { wabaId: WABA, phoneNumberId: PHONE_NUMBER_ID, displayPhoneNumber: DISPLAY };

async function messagesOf(ctx: TestContext) {
  return await ctx.services.database.db.select().from(messages).orderBy(
    messages.timestamp,
    messages.createdAt,
  );
}

Deno.test("Meta: the number, its check, status and the webhook handshake", async () => {
  const f = await setup();
  try {
    assert.equal(f.number.credentials.access_token, "EAAG…6789", "masked");
    assert.ok(f.number.verify_token, "a generated verify token is shown once");
    const [row] = await f.ctx.services.database.db.select().from(whatsappConfigs).where(
      eq(whatsappConfigs.id, f.number.id),
    );
    assert.ok(!row.credentials.includes(TOKEN) && !row.credentials.includes(SECRET), "sealed at rest");

    const test = await body<
      {
        ok: boolean;
        checks: { name: string; ok: boolean }[];
        status: { connection_state: string; quality_rating: string };
      }
    >(
      await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/test`, {
        method: "POST",
        token: f.owner.token,
      }),
    );
    assert.equal(test.ok, true, JSON.stringify(test));
    assert.deepEqual([test.status.connection_state, test.status.quality_rating], ["connected", "GREEN"]);
    assert.equal(f.graph.requests.at(-1)!.method, "GET");

    const status = await body<{ messaging_tier: string; display_name: string; stale: boolean }>(
      await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/status`, { token: f.owner.token }),
    );
    assert.deepEqual([status.messaging_tier, status.display_name, status.stale], [
      "TIER_1K",
      "Fibra Rápida",
      false,
    ]);

    // A revoked token: the check says what failed.
    await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}`, {
      method: "PUT",
      token: f.owner.token,
      json: { access_token: "EAAGrevokedtoken000000" },
    }).then((r) => r.body?.cancel());
    const failed = await body<{ ok: boolean; checks: { ok: boolean; detail: string }[] }>(
      await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/test`, {
        method: "POST",
        token: f.owner.token,
      }),
    );
    assert.equal(failed.ok, false);
    assert.match(failed.checks.find((c) => !c.ok)!.detail, /access token/i);

    const ok = await f.ctx.request(
      `/api/v1/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=${f.number.verify_token}&hub.challenge=1158201444`,
    );
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "1158201444");
    const wrong = await f.ctx.request(
      "/api/v1/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
    );
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("Meta: inbound messages are verified, stored once and threaded", async (t) => {
  const f = await setup();
  try {
    const payload = inboundTextPayload({
      ...meta,
      from: "5511988887777",
      name: "Rodrigo",
      text: "Minha internet está sem sinal",
    });

    await t.step("a bad or missing signature is 401 and nothing is stored", async () => {
      const bad = await f.webhook(payload, { secret: "not-the-secret" });
      assert.equal(bad.status, 401);
      assert.equal((await body(bad)).code, "invalid_signature");
      const none = await f.ctx.request("/api/v1/whatsapp/webhook", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      assert.equal(none.status, 401);
      await none.body?.cancel();
      assert.equal((await f.ctx.services.database.db.select().from(webhookEvents)).length, 0);
    });

    await t.step("a signed message is acknowledged, stored and opens the window", async () => {
      const res = await f.webhook(payload);
      assert.deepEqual(await body(res), { status: "received" });
      const [m] = await messagesOf(f.ctx);
      assert.deepEqual([m.direction, m.type, m.status, m.body], [
        "inbound",
        "text",
        "received",
        "Minha internet está sem sinal",
      ]);
      const [conv] = await f.ctx.services.database.db.select().from(conversations).where(
        eq(conversations.id, m.conversationId),
      );
      assert.equal(conv.unreadCount, 1);
      assert.ok(conv.windowExpiresAt! > new Date(Date.now() + 23 * 3600_000));
      const [contact] = await f.ctx.services.database.db.select().from(contacts).where(
        eq(contacts.id, m.contactId),
      );
      assert.deepEqual([contact.phone, contact.profileName], ["+5511988887777", "Rodrigo"]);
    });

    await t.step("the same delivery again changes nothing", async () => {
      const res = await f.webhook(payload);
      assert.deepEqual(await body(res), { status: "duplicate" });
      assert.equal((await messagesOf(f.ctx)).length, 1);
    });

    await t.step("a Brazilian mobile without the ninth digit is the same contact", async () => {
      await f.webhook(inboundTextPayload({ ...meta, from: "551188887777", name: "Rodrigo", text: "Alô?" }));
      const all = await messagesOf(f.ctx);
      assert.equal(all.length, 2);
      assert.equal(all[0].contactId, all[1].contactId);
      assert.equal(all[0].conversationId, all[1].conversationId);
      const cs = await f.ctx.services.database.db.select().from(contacts);
      assert.equal(cs.length, 1);
      assert.equal(cs[0].waId, "551188887777", "WhatsApp's own id is kept for sends");
    });

    await t.step("an answer goes to the wa_id WhatsApp knows", async () => {
      const res = await f.ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: f.owner.token,
        json: { to: "+5511988887777", message: "Vamos verificar." },
      });
      const b = await body<{ message: Message }>(res);
      assert.equal(res.status, 201, JSON.stringify(b));
      const sent = f.graph.sent.at(-1)!;
      assert.equal(sent.to, "551188887777");
      assert.deepEqual(sent.body, {
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: "551188887777",
        type: "text",
        text: { body: "Vamos verificar." },
      });
      assert.equal(b.message.provider_message_id, sent.wamid);
    });
  } finally {
    await f.close();
  }
});

Deno.test("Meta: every message type, several entries and messages in one call", async () => {
  const f = await setup();
  try {
    const from = "5511977776666";
    const m = (id: string, extra: Record<string, unknown>) => ({
      from,
      id,
      timestamp: "1750000000",
      ...extra,
    });
    const payload = {
      object: "whatsapp_business_account",
      entry: [{
        id: WABA,
        changes: [{
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_NUMBER_ID },
            contacts: [{ profile: { name: "Ana" }, wa_id: from }],
            messages: [
              m("wamid.t1", { type: "text", text: { body: "Olá" } }),
              m("wamid.t2", {
                type: "image",
                image: { caption: "Foto do roteador", mime_type: "image/jpeg", sha256: "x", id: "111" },
              }),
              m("wamid.t3", {
                type: "audio",
                audio: { mime_type: "audio/ogg; codecs=opus", sha256: "x", id: "112", voice: true },
              }),
              m("wamid.t4", { type: "video", video: { mime_type: "video/mp4", sha256: "x", id: "113" } }),
              m("wamid.t5", {
                type: "document",
                document: {
                  filename: "comprovante.pdf",
                  mime_type: "application/pdf",
                  sha256: "x",
                  id: "114",
                },
              }),
              m("wamid.t6", {
                type: "sticker",
                sticker: { mime_type: "image/webp", sha256: "x", id: "115", animated: false },
              }),
              m("wamid.t7", {
                type: "location",
                location: { latitude: -23.55, longitude: -46.63, name: "Casa", address: "Rua A, 10" },
              }),
              m("wamid.t8", {
                type: "contacts",
                contacts: [{
                  name: { formatted_name: "Técnico João", first_name: "João" },
                  phones: [{ phone: "+55 11 98888-7777", wa_id: "5511988887777", type: "CELL" }],
                }],
              }),
              m("wamid.t9", {
                type: "interactive",
                interactive: { type: "button_reply", button_reply: { id: "sim", title: "Sim" } },
                context: { from: DISPLAY, id: "wamid.out1" },
              }),
              m("wamid.t10", {
                type: "interactive",
                interactive: {
                  type: "list_reply",
                  list_reply: { id: "boleto", title: "Segunda via", description: "Boleto" },
                },
              }),
              m("wamid.t11", {
                type: "button",
                button: { payload: "QUERO", text: "Quero saber mais" },
                context: { from: DISPLAY, id: "wamid.tpl" },
              }),
              m("wamid.t12", { type: "reaction", reaction: { message_id: "wamid.out1", emoji: "👍" } }),
              m("wamid.t13", {
                type: "unsupported",
                errors: [{
                  code: 131051,
                  title: "Message type unknown",
                  message: "Message type unknown",
                  error_data: { details: "Message type is currently not supported." },
                }],
              }),
            ],
          },
        }],
      }, {
        id: WABA,
        changes: [{
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_NUMBER_ID },
            contacts: [{ profile: { name: "Bruno" }, wa_id: "5521966665555" }],
            messages: [{
              from: "5521966665555",
              id: "wamid.e2",
              timestamp: "1750000001",
              type: "text",
              text: { body: "Segunda entrada" },
            }],
          },
        }],
      }],
    };
    const res = await f.webhook(payload);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const stored = await messagesOf(f.ctx);
    const byId = new Map(stored.map((x) => [x.providerMessageId, x]));
    const expect: [string, string, string | null][] = [
      ["wamid.t1", "text", "Olá"],
      ["wamid.t2", "image", "Foto do roteador"],
      ["wamid.t3", "audio", null],
      ["wamid.t4", "video", null],
      ["wamid.t5", "document", "comprovante.pdf"],
      ["wamid.t6", "sticker", null],
      ["wamid.t7", "location", "Casa — Rua A, 10"],
      ["wamid.t8", "contacts", "Técnico João"],
      ["wamid.t9", "interactive", "Sim"],
      ["wamid.t10", "interactive", "Segunda via"],
      ["wamid.t11", "button", "Quero saber mais"],
      ["wamid.t12", "reaction", "👍"],
      ["wamid.t13", "unsupported", "Message type unknown"],
      ["wamid.e2", "text", "Segunda entrada"],
    ];
    for (const [id, type, text] of expect) {
      const row = byId.get(id);
      assert.ok(row, `${id} stored`);
      assert.deepEqual([row.type, row.body], [type, text], id);
    }
    assert.equal(byId.get("wamid.t9")!.replyTo, "wamid.out1");
    assert.equal(byId.get("wamid.t12")!.replyTo, "wamid.out1");
    assert.equal(new Set(stored.map((x) => x.contactId)).size, 2, "two customers, two contacts");
  } finally {
    await f.close();
  }
});

Deno.test("Meta: statuses only move forward, wait for their message, and failures keep a reason", async (t) => {
  const f = await setup();
  try {
    await f.webhook(inboundTextPayload({ ...meta, from: "5511988887777", name: "Rodrigo", text: "oi" }));
    const send = async () => {
      const res = await f.ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: f.owner.token,
        json: { to: "+5511988887777", message: "Olá!" },
      });
      return (await body<{ message: Message }>(res)).message;
    };
    const status = async (id: string) =>
      await body<
        { status: string; timeline: { status: string }[]; error: { code: string; title: string } | null }
      >(
        await f.ctx.request(`/api/v1/whatsapp/messages/${id}/status`, { token: f.owner.token }),
      );

    await t.step("read before delivered: it stays read; the timeline has both", async () => {
      const m = await send();
      const st = (s: "sent" | "delivered" | "read", ts: number) =>
        statusPayload({
          ...meta,
          wamid: m.provider_message_id,
          recipientId: "5511988887777",
          status: s,
          timestamp: ts,
        });
      await f.webhook(st("read", 1750000300));
      await f.webhook(st("delivered", 1750000200));
      await f.webhook(st("sent", 1750000100));
      const s = await status(m.id);
      assert.equal(s.status, "read");
      assert.deepEqual(
        s.timeline.map((e) => e.status),
        ["sent", "delivered", "read"],
        "ordered by when they happened",
      );
      const [row] = await f.ctx.services.database.db.select().from(messages).where(eq(messages.id, m.id));
      assert.ok(row.deliveredAt && row.readAt, "read implies delivered");
    });

    await t.step("a failed status after delivery does not undo it", async () => {
      const m = await send();
      await f.webhook(
        statusPayload({
          ...meta,
          wamid: m.provider_message_id,
          recipientId: "5511988887777",
          status: "delivered",
        }),
      );
      await f.webhook(
        statusPayload({
          ...meta,
          wamid: m.provider_message_id,
          recipientId: "5511988887777",
          status: "failed",
          error: { code: 131000 },
        }),
      );
      assert.equal((await status(m.id)).status, "delivered");
    });

    await t.step("a failure carries the code and a readable reason", async () => {
      const m = await send();
      await f.webhook(
        statusPayload({
          ...meta,
          wamid: m.provider_message_id,
          recipientId: "5511988887777",
          status: "failed",
          error: { code: 131047 },
        }),
      );
      const s = await status(m.id);
      assert.equal(s.status, "failed");
      assert.equal(s.error!.code, "131047");
      assert.match(s.error!.title, /24 hours/);
    });

    await t.step("a status that arrives before the send stored its id waits for it", async () => {
      f.graph.failNext({ code: 130429, httpStatus: 429 });
      const res = await f.ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: f.owner.token,
        json: { to: "+5511988887777", message: "retry me" },
      });
      const queued = await body<{ message: Message; outcome: string }>(res);
      assert.equal(res.status, 202);
      assert.equal(queued.outcome, "queued");
      assert.equal(queued.message.status, "pending");
      // WhatsApp's "delivered" for the id the retry will get is already here.
      const nextWamid = "wamid.early0000000000000001";
      await f.webhook(
        statusPayload({ ...meta, wamid: nextWamid, recipientId: "5511988887777", status: "delivered" }),
      );
      const [orphan] = await f.ctx.services.database.db.select().from(messages).where(
        eq(messages.providerMessageId, nextWamid),
      );
      assert.equal(orphan, undefined);
      // The retry's send returns that id (the stand-in is told which id to hand out).
      const { deliver } = await import("../../src/whatsapp/send-message.ts");
      const { configById } = await import("../../src/whatsapp/inbound/apply-events.ts");
      const config = (await configById(f.ctx.services, f.number.id))!;
      const [row] = await f.ctx.services.database.db.select().from(messages).where(
        eq(messages.id, queued.message.id),
      );
      const realFetch = f.ctx.services.fetch;
      f.ctx.services.fetch = async (input, init) => {
        const r = await realFetch(input, init);
        const j = await r.json();
        j.messages[0].id = nextWamid;
        return Response.json(j, { status: r.status });
      };
      const who = { id: row.contactId, name: null, phone: "+5511988887777", email: null, blocked: false };
      await deliver(f.ctx.services, config, row, "5511988887777", who, { finalAttempt: false });
      f.ctx.services.fetch = realFetch;
      const s = await status(queued.message.id);
      assert.equal(s.status, "delivered");
      assert.deepEqual(s.timeline.map((e) => e.status), ["delivered"]);
    });
  } finally {
    await f.close();
  }
});

Deno.test("Meta: provider errors — permanent ones fail the send, transient ones are retried", async () => {
  const f = await setup();
  try {
    const to = "+5511988887777";
    const tpl = { to, template_name: "fatura_vencida", language: "pt_BR", parameters: ["Maria", "R$ 99,90"] };
    f.graph.failNext({ code: 132001 });
    const rejected = await f.ctx.request("/api/v1/whatsapp/send-template", {
      method: "POST",
      token: f.owner.token,
      json: tpl,
    });
    const p = await body<{ code: string; provider_code: string; message_id: string; detail: string }>(
      rejected,
    );
    assert.equal(rejected.status, 422, JSON.stringify(p));
    assert.equal(p.code, "provider_rejected");
    assert.equal(p.provider_code, "132001");
    assert.match(p.detail, /template does not exist/);
    const [failed] = await f.ctx.services.database.db.select().from(messages).where(
      eq(messages.id, p.message_id),
    );
    assert.deepEqual([failed.status, failed.errorCode], ["failed", "132001"]);
    const sentBody = f.graph.requests.filter((r) => r.method === "POST").at(-1)!.body as Record<
      string,
      unknown
    >;
    assert.deepEqual(sentBody.template, {
      name: "fatura_vencida",
      language: { code: "pt_BR" },
      components: [{
        type: "body",
        parameters: [{ type: "text", text: "Maria" }, { type: "text", text: "R$ 99,90" }],
      }],
    });

    f.graph.failNext({ code: 131000, httpStatus: 500, times: 2 });
    const queued = await f.ctx.request("/api/v1/whatsapp/send-template", {
      method: "POST",
      token: f.owner.token,
      json: tpl,
    });
    const q = await body<{ message: Message; outcome: string }>(queued);
    assert.equal(queued.status, 202);
    // The 202 says where to follow the retries.
    const location = queued.headers.get("location");
    assert.equal(location, `/api/v1/whatsapp/messages/${q.message.id}/status`);
    const following = await body<{ id: string; status: string }>(
      await f.ctx.request(location!, { token: f.owner.token }),
    );
    assert.deepEqual([following.id, following.status], [q.message.id, "pending"], "waiting for its retry");
    for (let i = 0; i < 3; i++) {
      f.ctx.clock.advance(3600_000);
      await f.ctx.services.runner!.drain();
    }
    const [row] = await f.ctx.services.database.db.select().from(messages).where(
      eq(messages.id, q.message.id),
    );
    assert.equal(row.status, "sent", "sent on the third attempt");
    assert.ok(row.providerMessageId);
    // Hours later: the first token has expired.
    const token = await loginToken(f.ctx, f.owner.email);
    const followed = await body<{ status: string }>(await f.ctx.request(location!, { token }));
    assert.equal(followed.status, "sent");
    const sends = f.graph.sent.filter((s) => s.type === "template");
    assert.equal(sends.length, 1, "accepted once");
  } finally {
    await f.close();
  }
});

Deno.test("Meta: mark as read sends the receipt and clears the unread count", async () => {
  const f = await setup();
  try {
    await f.webhook(inboundTextPayload({ ...meta, from: "5511988887777", name: "Rodrigo", text: "um" }));
    await f.webhook(inboundTextPayload({ ...meta, from: "5511988887777", name: "Rodrigo", text: "dois" }));
    const list = await body<{ data: Message[] }>(
      await f.ctx.request("/api/v1/whatsapp/messages?order=asc", { token: f.owner.token }),
    );
    const latest = list.data.at(-1)!;
    const res = await f.ctx.request(`/api/v1/whatsapp/messages/${latest.id}/read`, {
      method: "PUT",
      token: f.owner.token,
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.deepEqual(f.graph.reads.map((r) => r.messageId), [latest.provider_message_id]);
    const [conv] = await f.ctx.services.database.db.select().from(conversations).where(
      eq(conversations.id, latest.conversation_id),
    );
    assert.equal(conv.unreadCount, 0);
    const unread = await f.ctx.services.database.db.select().from(messages)
      .where(and(eq(messages.direction, "inbound"), eq(messages.conversationId, latest.conversation_id)));
    assert.ok(unread.every((m) => m.readAt), "the earlier message too");
  } finally {
    await f.close();
  }
});

Deno.test("Meta: Meta's own example webhook with its published signature is accepted", async () => {
  const f = await setup();
  try {
    // Reference A.6.2: Meta's "Text Message" example, compact, signed with `test_app_secret`.
    const raw =
      '{"object":"whatsapp_business_account","entry":[{"id":"419561257915477","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}';
    assert.equal(new TextEncoder().encode(raw).length, 499);
    const res = await f.ctx.request("/api/v1/whatsapp/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": "sha256=05425dca287e36f60b5b42254ae7fa13f010d6f9febd93f65d1dd83d79ad0484",
      },
      body: raw,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    await f.ctx.settle();
    const [m] = await messagesOf(f.ctx);
    assert.deepEqual([m.body, m.timestamp.toISOString()], [
      "Does it come in another color?",
      "2025-06-08T20:59:43.000Z",
    ]);
    const [c] = await f.ctx.services.database.db.select().from(contacts);
    assert.deepEqual([c.phone, c.profileName], ["+16505551234", "Sheena Nelson"]);
  } finally {
    await f.close();
  }
});

Deno.test("Meta: a NUL or a lone surrogate in an inbound message is kept as U+FFFD, never a lost message", async () => {
  const f = await setup();
  try {
    const res = await f.webhook(
      inboundTextPayload({
        ...meta,
        from: "5511977776666",
        name: "Ro\u0000drigo",
        text: "sem\u0000sinal \ud800!",
      }),
    );
    assert.deepEqual(await body(res), { status: "received" });
    const [m] = await messagesOf(f.ctx);
    assert.equal(m?.body, "sem\uFFFDsinal \uFFFD!");
    const [contact] = await f.ctx.services.database.db.select().from(contacts).where(
      eq(contacts.id, m.contactId),
    );
    assert.equal(contact.profileName, "Ro\uFFFDdrigo");
    const [event] = await f.ctx.services.database.db.select().from(webhookEvents);
    assert.equal(event.status, "processed", event.error ?? "");
  } finally {
    await f.close();
  }
});
