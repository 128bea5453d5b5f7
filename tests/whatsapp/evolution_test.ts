import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { messages, whatsappConfigs } from "../../db/schema/index.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { type Account, registerTenant } from "../support/identity.ts";
import {
  connectionUpdate,
  type EvolutionStandIn,
  messagesUpdate,
  messagesUpsert,
  qrcodeUpdated,
  startEvolutionStandIn,
} from "../support/evolution-standin.ts";
import { addNumber, type NumberView } from "../support/whatsapp.ts";

const INSTANCE = "acme-support";
const KEY = "B6D711FCDE4D4FD5936544120E713976";

interface Fixture {
  ctx: TestContext;
  evo: EvolutionStandIn;
  owner: Account;
  number: NumberView;
  webhook(envelope: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

async function setup(state: "open" | "close" = "open"): Promise<Fixture> {
  const evo = await startEvolutionStandIn();
  evo.addInstance({ name: INSTANCE, apiKey: KEY, state, ownerJid: "5511955551234@s.whatsapp.net" });
  const ctx = await createTestContext();
  const owner = await registerTenant(ctx);
  const number = await addNumber(ctx, owner.token, {
    api_type: "evolution",
    name: "Suporte",
    phone_number: "+5511955551234",
    instance_name: INSTANCE,
    base_url: evo.url,
    api_key: KEY,
  });
  return {
    ctx,
    evo,
    owner,
    number,
    async webhook(envelope, headers = { apikey: KEY }) {
      const res = await ctx.request("/api/v1/whatsapp/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(envelope),
      });
      await ctx.settle();
      return res;
    },
    async close() {
      await ctx.close();
      await evo.close();
    },
  };
}

Deno.test("Evolution: adding a number points the instance's webhook here", async () => {
  const f = await setup();
  try {
    assert.equal(f.number.credentials.api_key, "B6D7…3976");
    const set = f.evo.webhookSets.at(-1)!;
    assert.equal(set.instance, INSTANCE);
    const w = (set.body as { webhook: Record<string, unknown> }).webhook;
    assert.equal(w.url, "http://pytake.test/api/v1/whatsapp/webhook");
    assert.equal(w.enabled, true);
    assert.deepEqual(w.headers, { apikey: KEY }, "events come back authenticated by the instance's key");
    assert.ok((w.events as string[]).includes("MESSAGES_UPSERT"));
  } finally {
    await f.close();
  }
});

Deno.test("Evolution: no 24-hour window; sends go through the instance", async () => {
  const f = await setup();
  try {
    const res = await f.ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: f.owner.token,
      json: { to: "+5511988887777", message: "Olá! Seu técnico chega às 14h." },
    });
    const b = await body<{ message: { provider_message_id: string; status: string } }>(res);
    assert.equal(res.status, 201, JSON.stringify(b));
    const sent = f.evo.sent.at(-1)!;
    assert.equal(sent.action, "sendText");
    assert.deepEqual(sent.body, {
      number: "5511988887777",
      text: "Olá! Seu técnico chega às 14h.",
      linkPreview: false,
    });
    assert.equal(b.message.provider_message_id, (sent.response as { key: { id: string } }).key.id);

    const list = await f.ctx.request("/api/v1/whatsapp/send-list", {
      method: "POST",
      token: f.owner.token,
      json: {
        to: "+5511988887777",
        title: "Menu",
        body: "Escolha uma opção",
        button_text: "Abrir",
        sections: [{
          title: "Suporte",
          rows: [{ id: "tec", title: "Técnico", description: "Falar com o suporte" }],
        }],
      },
    });
    assert.equal(list.status, 201, await list.clone().text());
    await list.body?.cancel();
    assert.deepEqual(f.evo.sent.at(-1)!.body, {
      number: "5511988887777",
      title: "Menu",
      description: "Escolha uma opção",
      buttonText: "Abrir",
      footerText: "",
      sections: [{
        title: "Suporte",
        rows: [{ title: "Técnico", rowId: "tec", description: "Falar com o suporte" }],
      }],
    });

    const tpl = await f.ctx.request("/api/v1/whatsapp/send-template", {
      method: "POST",
      token: f.owner.token,
      json: { to: "+5511988887777", template_name: "hello_world" },
    });
    const p = await body<{ code: string; provider_code: string }>(tpl);
    assert.equal(tpl.status, 422);
    assert.equal(p.provider_code, "unsupported", "templates are a Meta feature");
  } finally {
    await f.close();
  }
});

Deno.test("Evolution: a disconnected session queues the send and retries it", async () => {
  const f = await setup("close");
  try {
    const res = await f.ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: f.owner.token,
      json: { to: "+5511988887777", message: "Está aí?" },
    });
    const b = await body<
      { message: { id: string; status: string; error: { code: string } }; outcome: string }
    >(res);
    assert.equal(res.status, 202, JSON.stringify(b));
    assert.deepEqual([b.outcome, b.message.status, b.message.error.code], [
      "queued",
      "pending",
      "connection_closed",
    ]);
    f.evo.setState(INSTANCE, "open");
    f.ctx.clock.advance(60_000);
    await f.ctx.services.runner!.drain();
    const [row] = await f.ctx.services.database.db.select().from(messages).where(
      eq(messages.id, b.message.id),
    );
    assert.equal(row.status, "sent");
  } finally {
    await f.close();
  }
});

Deno.test("Evolution: webhooks — messages, receipts, connection and QR code", async (t) => {
  const f = await setup();
  try {
    await t.step("a wrong key is 401 and stores nothing", async () => {
      const env = messagesUpsert({
        instance: INSTANCE,
        remoteJid: "5511988887777@s.whatsapp.net",
        fromMe: false,
        id: "3EB0AAAA",
        pushName: "Rodrigo",
        text: "Oi",
      });
      const res = await f.webhook(env, { apikey: "wrong" });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.equal((await f.ctx.services.database.db.select().from(messages)).length, 0);
    });

    await t.step("messages.upsert stores the customer's message", async () => {
      const env = messagesUpsert({
        instance: INSTANCE,
        remoteJid: "5511988887777@s.whatsapp.net",
        fromMe: false,
        id: "3EB0BBBB",
        pushName: "Rodrigo",
        text: "Minha fatura veio errada",
      });
      const res = await f.webhook(env);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const [m] = await f.ctx.services.database.db.select().from(messages);
      assert.deepEqual([m.direction, m.type, m.body, m.providerMessageId], [
        "inbound",
        "text",
        "Minha fatura veio errada",
        "3EB0BBBB",
      ]);
    });

    await t.step("messages from groups are not threaded", async () => {
      const env = messagesUpsert({
        instance: INSTANCE,
        remoteJid: "120363025246125486@g.us",
        fromMe: false,
        id: "3EB0GGGG",
        pushName: "Grupo",
        text: "oi grupo",
      });
      await (await f.webhook(env)).body?.cancel();
      assert.equal((await f.ctx.services.database.db.select().from(messages)).length, 1);
    });

    await t.step("messages.update moves our message forward", async () => {
      const res = await f.ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: f.owner.token,
        json: { to: "+5511988887777", message: "Vou corrigir." },
      });
      const sent = (await body<{ message: { id: string; provider_message_id: string } }>(res)).message;
      await (await f.webhook(
        messagesUpdate({
          instance: INSTANCE,
          keyId: sent.provider_message_id,
          remoteJid: "5511988887777@s.whatsapp.net",
          fromMe: true,
          status: "READ",
        }),
      )).body?.cancel();
      await (await f.webhook(
        messagesUpdate({
          instance: INSTANCE,
          keyId: sent.provider_message_id,
          remoteJid: "5511988887777@s.whatsapp.net",
          fromMe: true,
          status: "DELIVERY_ACK",
        }),
      )).body?.cancel();
      const [row] = await f.ctx.services.database.db.select().from(messages).where(eq(messages.id, sent.id));
      assert.equal(row.status, "read");
    });

    await t.step("connection.update sets the number's state", async () => {
      await (await f.webhook(connectionUpdate({ instance: INSTANCE, state: "close", statusReason: 401 })))
        .body?.cancel();
      const [c] = await f.ctx.services.database.db.select().from(whatsappConfigs).where(
        eq(whatsappConfigs.id, f.number.id),
      );
      assert.equal(c.connectionState, "disconnected");
    });

    await t.step("the QR code route asks the instance; a connected one says so", async () => {
      f.evo.setState(INSTANCE, "close");
      const qr = await body<{ state: string; qr_image_base64: string; pairing_code: string | null }>(
        await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/qrcode?number=5511955551234`, {
          token: f.owner.token,
        }),
      );
      assert.equal(qr.state, "awaiting_scan");
      assert.match(qr.qr_image_base64, /^data:image\/png;base64,/);
      assert.ok(qr.pairing_code);
      await (await f.webhook(
        qrcodeUpdated({ instance: INSTANCE, code: "2@abc", base64: "data:image/png;base64,AAAA" }),
      )).body?.cancel();
      f.evo.setState(INSTANCE, "open");
      const open = await body<{ state: string }>(
        await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/qrcode`, { token: f.owner.token }),
      );
      assert.equal(open.state, "connected");
      const status = await body<{ connection_state: string }>(
        await f.ctx.request(`/api/v1/whatsapp-configs/${f.number.id}/status`, { token: f.owner.token }),
      );
      assert.equal(status.connection_state, "connected");
    });

    await t.step("mark as read goes to the instance", async () => {
      const [inbound] = await f.ctx.services.database.db.select().from(messages).where(
        eq(messages.direction, "inbound"),
      );
      const res = await f.ctx.request(`/api/v1/whatsapp/messages/${inbound.id}/read`, {
        method: "PUT",
        token: f.owner.token,
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
      assert.deepEqual(f.evo.reads.at(-1)!.readMessages, [{
        remoteJid: "5511988887777@s.whatsapp.net",
        fromMe: false,
        id: "3EB0BBBB",
      }]);
    });
  } finally {
    await f.close();
  }
});

Deno.test("Evolution: the QR code is only for Evolution numbers", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const sandbox = await addNumber(ctx, owner.token, {
      api_type: "sandbox",
      name: "Dev",
      phone_number: "+5511955550000",
    });
    const res = await ctx.request(`/api/v1/whatsapp-configs/${sandbox.id}/qrcode`, { token: owner.token });
    assert.equal(res.status, 409);
    await res.body?.cancel();
  } finally {
    await ctx.close();
  }
});
