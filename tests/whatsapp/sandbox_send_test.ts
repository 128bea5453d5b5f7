import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { auditLog, contacts, conversations, messages, usageCounters } from "../../db/schema/index.ts";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant } from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

type Message = {
  id: string;
  status: string;
  provider_message_id: string | null;
  conversation_id: string;
  body: string;
  error: { code: string } | null;
  retry_of: string | null;
  type: string;
  content: Record<string, unknown>;
};
type Sent = { message: Message; outcome: string };
type Problem = {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  [k: string]: unknown;
};

Deno.test("sandbox: the 24-hour window, a send and its receipts", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const to = customerPhone();
    const send = (
      json: Record<string, unknown>,
      path = "/api/v1/whatsapp/send",
      headers: Record<string, string> = {},
    ) => ctx.request(path, { method: "POST", token: owner.token, json, headers });

    await t.step("no window yet: free-form is refused with window_closed, nothing stored", async () => {
      const res = await send({ to, message: "Olá!" });
      const p = await body<Problem>(res);
      assert.equal(res.status, 409, JSON.stringify(p));
      assert.equal(p.code, "window_closed");
      assert.equal((await ctx.services.database.db.select().from(messages)).length, 0);
    });

    await t.step("a template needs no window", async () => {
      const res = await send(
        { to, template_name: "boas_vindas", language: "pt_BR", parameters: ["Maria"] },
        "/api/v1/whatsapp/send-template",
      );
      const b = await body<Sent>(res);
      assert.equal(res.status, 201, JSON.stringify(b));
      assert.equal(b.message.type, "template");
      assert.deepEqual(b.message.content, {
        type: "template",
        template: {
          name: "boas_vindas",
          language: { code: "pt_BR" },
          components: [{ type: "body", parameters: [{ type: "text", text: "Maria" }] }],
        },
      });
    });

    let sent: Message;
    await t.step("after the customer writes, a text goes out and is sent", async () => {
      await customerWrites(ctx, owner.token, number.id, to, "Minha internet caiu");
      const res = await send({ to: to.replace("+", ""), message: "Vamos verificar, um momento." });
      const b = await body<Sent>(res);
      assert.equal(res.status, 201, JSON.stringify(b));
      assert.equal(b.outcome, "sent");
      assert.equal(b.message.status, "sent");
      assert.match(b.message.provider_message_id!, /^wamid\.SANDBOX/);
      sent = b.message;
      const [conv] = await ctx.services.database.db.select().from(conversations)
        .where(eq(conversations.id, sent.conversation_id));
      assert.ok(conv.firstResponseAt, "the first answer to the customer is recorded");
      const [contact] = await ctx.services.database.db.select().from(contacts).where(
        eq(contacts.id, conv.contactId),
      );
      assert.equal(contact.phone, to);
      assert.equal(contact.profileName, "Cliente Teste");
    });

    await t.step("receipts arrive as webhooks through the pipeline: delivered, then read", async () => {
      ctx.clock.advance(1500);
      await ctx.services.runner!.drain();
      let status = await body<{ status: string; timeline: { status: string }[] }>(
        await ctx.request(`/api/v1/whatsapp/messages/${sent.id}/status`, { token: owner.token }),
      );
      assert.equal(status.status, "delivered");
      ctx.clock.advance(3000);
      await ctx.services.runner!.drain();
      status = await body(
        await ctx.request(`/api/v1/whatsapp/messages/${sent.id}/status`, { token: owner.token }),
      );
      assert.equal(status.status, "read");
      assert.deepEqual(status.timeline.map((e) => e.status), ["sent", "delivered", "read"]);
    });

    await t.step("the monthly counter counts what was sent", async () => {
      const [u] = await ctx.services.database.db.select().from(usageCounters)
        .where(eq(usageCounters.tenantId, owner.tenantId));
      assert.equal(u.value, 2);
    });

    await t.step("a number ending in 0000 is not on WhatsApp: the message fails with 131026", async () => {
      const ghost = "+5511900000000";
      await customerWrites(ctx, owner.token, number.id, ghost);
      const b = await body<Sent>(await send({ to: ghost, message: "Olá?" }));
      ctx.clock.advance(1500);
      await ctx.services.runner!.drain();
      const status = await body<{ status: string; error: { code: string; title: string } }>(
        await ctx.request(`/api/v1/whatsapp/messages/${b.message.id}/status`, { token: owner.token }),
      );
      assert.equal(status.status, "failed");
      assert.equal(status.error.code, "131026");
      assert.match(status.error.title, /not on WhatsApp/, JSON.stringify(status));

      const resent = await ctx.request(`/api/v1/whatsapp/messages/${b.message.id}/resend`, {
        method: "POST",
        token: owner.token,
      });
      const r = await body<Sent>(resent);
      assert.equal(resent.status, 201, JSON.stringify(r));
      assert.equal(r.message.retry_of, b.message.id);
      assert.notEqual(r.message.id, b.message.id);
      const again = await ctx.request(`/api/v1/whatsapp/messages/${sent.id}/resend`, {
        method: "POST",
        token: owner.token,
      });
      assert.equal(again.status, 409, "a sent message is never sent twice");
      await again.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("sandbox: Idempotency-Key sends once and replays the first answer", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const to = customerPhone();
    await customerWrites(ctx, owner.token, number.id, to);
    const req = (key: string, message = "Seu boleto segue em anexo") =>
      ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: owner.token,
        json: { to, message },
        headers: { "idempotency-key": key },
      });
    const first = await req("order-123");
    const a = await body<Sent>(first);
    const second = await req("order-123");
    const b = await body<Sent>(second);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(b, a);
    const outbound = await ctx.services.database.db.select().from(messages).where(
      eq(messages.direction, "outbound"),
    );
    assert.equal(outbound.length, 1, "sent once");
    const reused = await req("order-123", "another message");
    assert.equal(reused.status, 409, "the same key for another request");
    await reused.body?.cancel();
    const other = await req("order-124");
    assert.equal(other.status, 201);
    await other.body?.cancel();
  } finally {
    await ctx.close();
  }
});

Deno.test("sandbox: WhatsApp's limits are checked before anything is sent", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const to = customerPhone();
    await customerWrites(ctx, owner.token, number.id, to);
    const bad: [string, Record<string, unknown>, string][] = [
      ["/api/v1/whatsapp/send", { to, message: "x".repeat(4097) }, "body.message"],
      ["/api/v1/whatsapp/send", { to: "12", message: "oi" }, "body.to"],
      ["/api/v1/whatsapp/send", { to: "+55 11 1234", message: "oi" }, "body.to"],
      ["/api/v1/whatsapp/send-media", { to, type: "image", media_url: "ftp://x/y.png" }, "body.media_url"],
      ["/api/v1/whatsapp/send-media", {
        to,
        type: "image",
        media_url: "https://x.y/a.png",
        caption: "c".repeat(1025),
      }, "body.caption"],
      [
        "/api/v1/whatsapp/send-media",
        { to, type: "audio", media_url: "https://x.y/a.mp3", caption: "no" },
        "body.caption",
      ],
      ["/api/v1/whatsapp/send-location", { to, latitude: 91, longitude: 0 }, "body.latitude"],
      ["/api/v1/whatsapp/send-buttons", {
        to,
        message: "Escolha",
        buttons: [{ id: "1", title: "A" }, { id: "2", title: "B" }, { id: "3", title: "C" }, {
          id: "4",
          title: "D",
        }],
      }, "body.buttons"],
      ["/api/v1/whatsapp/send-buttons", {
        to,
        message: "Escolha",
        buttons: [{ id: "1", title: "x".repeat(21) }],
      }, "body.buttons.0.title"],
      ["/api/v1/whatsapp/send-buttons", {
        to,
        message: "Escolha",
        buttons: [{ id: "1", title: "Sim" }, { id: "2", title: "Sim" }],
      }, "body.buttons"],
      ["/api/v1/whatsapp/send-list", {
        to,
        body: "Menu",
        button_text: "Ver",
        sections: [{
          title: "A",
          rows: Array.from({ length: 6 }, (_, i) => ({ id: `a${i}`, title: `A${i}` })),
        }, {
          title: "B",
          rows: Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, title: `B${i}` })),
        }],
      }, "body.sections"],
      ["/api/v1/whatsapp/send-list", {
        to,
        body: "Menu",
        button_text: "Ver",
        sections: [{ rows: [{ id: "a", title: "A" }] }, { rows: [{ id: "b", title: "B" }] }],
      }, "body.sections"],
    ];
    for (const [path, json, field] of bad) {
      const res = await ctx.request(path, { method: "POST", token: owner.token, json });
      const p = await body<Problem>(res);
      assert.equal(res.status, 422, `${path} ${JSON.stringify(json).slice(0, 80)}: ${JSON.stringify(p)}`);
      assert.ok(p.errors?.some((e) => e.path === field), `${field} in ${JSON.stringify(p.errors)}`);
    }
    assert.equal(
      (await ctx.services.database.db.select().from(messages).where(eq(messages.direction, "outbound")))
        .length,
      0,
    );

    const ok: [string, Record<string, unknown>][] = [
      ["/api/v1/whatsapp/send-media", {
        to,
        type: "image",
        media_url: "https://cdn.example.com/plano.png",
        caption: "Plano 500 Mega",
      }],
      ["/api/v1/whatsapp/send-audio", { to, audio_url: "https://cdn.example.com/audio.ogg" }],
      ["/api/v1/whatsapp/send-document", { to, document_url: "https://cdn.example.com/faturas/2026-11.pdf" }],
      ["/api/v1/whatsapp/send-location", {
        to,
        latitude: -23.5505,
        longitude: -46.6333,
        name: "Loja Centro",
        address: "Praça da Sé, São Paulo",
      }],
      ["/api/v1/whatsapp/send-contact", {
        to,
        contact: { name: "Suporte Técnico", phone: "+5511988888888" },
      }],
      ["/api/v1/whatsapp/send-buttons", {
        to,
        message: "Sua conexão voltou?",
        buttons: [{ id: "sim", title: "Sim" }, { id: "nao", title: "Não" }],
      }],
      ["/api/v1/whatsapp/send-list", {
        to,
        title: "Atendimento",
        body: "Como podemos ajudar?",
        button_text: "Ver opções",
        sections: [{
          title: "Financeiro",
          rows: [{ id: "boleto", title: "Segunda via", description: "Boleto do mês" }],
        }, {
          title: "Técnico",
          rows: [{ id: "sem-sinal", title: "Sem conexão" }],
        }],
      }],
    ];
    for (const [path, json] of ok) {
      const res = await ctx.request(path, { method: "POST", token: owner.token, json });
      const b = await body<Sent>(res);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(b)}`);
      assert.equal(b.message.status, "sent");
    }
    const doc = await ctx.services.database.db.select().from(messages).where(eq(messages.type, "document"));
    assert.deepEqual((doc[0].content as { media: { filename: string } }).media.filename, "2026-11.pdf");
  } finally {
    await ctx.close();
  }
});

Deno.test("sandbox: throughput per number and the monthly message quota", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const upd = await ctx.request(`/api/v1/whatsapp-configs/${number.id}`, {
      method: "PUT",
      token: owner.token,
      json: { throughput_per_second: 2 },
    });
    assert.equal(upd.status, 200);
    await upd.body?.cancel();
    const to = customerPhone();
    await customerWrites(ctx, owner.token, number.id, to);
    // Three sends within one second, whatever the machine's speed.
    ctx.clock.freeze(new Date(Math.ceil(Date.now() / 1000) * 1000 + 100));
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: owner.token,
        json: { to, message: `m${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) assert.equal((await body<Problem>(res)).code, "rate_limited");
      else await res.body?.cancel();
    }
    assert.deepEqual(statuses, [201, 201, 429]);

    // The starter plan allows 10,000 a month: start the month just below it.
    const period = ctx.clock.now().toISOString().slice(0, 7);
    await ctx.services.database.db.update(usageCounters).set({ value: 10_000 })
      .where(eq(usageCounters.period, period));
    ctx.clock.advance(1100);
    const over = await ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: owner.token,
      json: { to, message: "over" },
    });
    const p = await body<Problem>(over);
    assert.equal(over.status, 429);
    assert.equal(p.code, "quota_exceeded");
    assert.equal(p.limit, "messages_per_month");
  } finally {
    await ctx.close();
  }
});

Deno.test("sandbox: numbers are audited and a deactivated one does not send", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const to = customerPhone();
    await customerWrites(ctx, owner.token, number.id, to);
    const off = await ctx.request(`/api/v1/whatsapp-configs/${number.id}/deactivate`, {
      method: "POST",
      token: owner.token,
    });
    assert.equal((await body<{ is_active: boolean }>(off)).is_active, false);
    const res = await ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: owner.token,
      json: { to, message: "oi", config_id: number.id },
    });
    assert.equal(res.status, 409);
    await res.body?.cancel();
    const noDefault = await ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: owner.token,
      json: { to, message: "oi" },
    });
    assert.equal(noDefault.status, 409, "no active number at all");
    await noDefault.body?.cancel();
    const audits = await ctx.services.database.db.select().from(auditLog).where(
      eq(auditLog.targetId, number.id),
    );
    assert.deepEqual(audits.map((a) => a.action).sort(), [
      "whatsapp_config.create",
      "whatsapp_config.update",
    ]);
  } finally {
    await ctx.close();
  }
});
