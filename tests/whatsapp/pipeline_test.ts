import { strict as assert } from "node:assert";
import { eq } from "drizzle-orm";
import { jobs, messages, webhookEvents } from "../../db/schema/index.ts";
import { scheduleSweep } from "../../src/sweeps.ts";
import { processWebhook, storeWebhook } from "../../src/whatsapp/inbound/ingest.ts";
import { body, createTestContext } from "../support/harness.ts";
import { loginToken, registerTenant, ROOT } from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

const inbound = (phoneNumberId: string, from: string, id: string, text: string) =>
  JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{
      id: "sandbox",
      changes: [{
        field: "messages",
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "5511955550000", phone_number_id: phoneNumberId },
          contacts: [{ profile: { name: "Ana" }, wa_id: from }],
          messages: [{ from, id, timestamp: "1750000000", type: "text", text: { body: text } }],
        },
      }],
    }],
  });

Deno.test("pipeline: an acknowledged event whose processing died is picked up by the sweeper", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    // The 200 went out, then the process died before processing: only the raw row exists.
    const stored = await storeWebhook(ctx.services, {
      provider: "sandbox",
      rawBody: inbound(number.phone_number_id!, "5511977776666", "wamid.crash1", "Alguém aí?"),
      tenantId: owner.tenantId,
      configId: number.id,
    });
    assert.equal((await ctx.services.database.db.select().from(messages)).length, 0);
    await scheduleSweep(ctx.services);
    ctx.clock.advance(61_000);
    await ctx.services.runner!.drain();
    const [event] = await ctx.services.database.db.select().from(webhookEvents).where(
      eq(webhookEvents.id, stored.id),
    );
    assert.equal(event.status, "processed");
    const [m] = await ctx.services.database.db.select().from(messages);
    assert.equal(m.body, "Alguém aí?");
    const next = await ctx.services.database.db.select().from(jobs).where(
      eq(jobs.name, "maintenance.sweep"),
    );
    assert.equal(next.filter((j) => j.status === "pending").length, 1, "the sweeper booked its next run");
    assert.equal(await processWebhook(ctx.services, stored.id), "skipped", "processing twice is a no-op");
  } finally {
    await ctx.close();
  }
});

Deno.test("pipeline: a suspended tenant's inbound messages are still stored", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const root = await loginToken(ctx, ROOT.email, ROOT.password);
    const s = await ctx.request(`/api/v1/tenants/${owner.tenantId}/suspend`, {
      method: "POST",
      token: root,
      json: { reason: "Pagamento pendente" },
    });
    assert.equal(s.status, 200);
    await s.body?.cancel();
    const stored = await storeWebhook(ctx.services, {
      provider: "sandbox",
      rawBody: inbound(number.phone_number_id!, "5511977776666", "wamid.susp1", "Paguei o boleto"),
      tenantId: owner.tenantId,
      configId: number.id,
    });
    assert.equal(await processWebhook(ctx.services, stored.id), "processed");
    const api = await ctx.request("/api/v1/whatsapp/messages", { token: owner.token });
    assert.equal(api.status, 403, "the tenant cannot read them while suspended");
    await api.body?.cancel();
    const r = await ctx.request(`/api/v1/tenants/${owner.tenantId}/reactivate`, {
      method: "POST",
      token: root,
    });
    await r.body?.cancel();
    const list = await body<{ data: { body: string }[] }>(
      await ctx.request("/api/v1/whatsapp/messages", { token: owner.token }),
    );
    assert.deepEqual(list.data.map((m) => m.body), ["Paguei o boleto"], "nothing was lost");
  } finally {
    await ctx.close();
  }
});

Deno.test("pipeline: an inbound message on a resolved conversation reopens it", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const from = customerPhone();
    await customerWrites(ctx, owner.token, number.id, from, "primeira");
    const { conversations } = await import("../../db/schema/index.ts");
    const [conv] = await ctx.services.database.db.select().from(conversations);
    await ctx.services.database.db.update(conversations).set({ status: "resolved", resolvedAt: new Date() })
      .where(eq(conversations.id, conv.id));
    await customerWrites(ctx, owner.token, number.id, from, "voltei");
    const all = await ctx.services.database.db.select().from(conversations);
    assert.equal(all.length, 1, "the same thread");
    assert.deepEqual([all[0].status, all[0].resolvedAt], ["active", null]);
  } finally {
    await ctx.close();
  }
});

Deno.test("pipeline: a burst of webhooks is applied together, each message once, one thread per customer", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const { processFresh } = await import("../../src/whatsapp/inbound/ingest.ts");
    const { contacts, conversations } = await import("../../db/schema/index.ts");
    const customers = ["5511911110001", "5511911110002", "5511911110003"];
    const bodies = Array.from(
      { length: 30 },
      (_, i) => inbound(number.phone_number_id!, customers[i % 3], `wamid.burst${i}`, `mensagem ${i}`),
    );
    // The same burst delivered twice over (Meta redelivers), all at once.
    const stored = await Promise.all(
      [...bodies, ...bodies.slice(0, 10)].map((rawBody, i) =>
        storeWebhook(ctx.services, {
          provider: "sandbox",
          rawBody: i < 30 ? rawBody : rawBody + " ",
          tenantId: owner.tenantId,
          configId: number.id,
        })
      ),
    );
    const results = await Promise.all(stored.map((st, i) =>
      processFresh(ctx.services, {
        id: st.id,
        provider: "sandbox",
        rawBody: i < 30 ? bodies[i] : bodies[i - 30] + " ",
        configId: number.id,
      })
    ));
    assert.ok(results.every((r) => r === "processed"));
    const { db } = ctx.services.database;
    assert.equal((await db.select().from(messages)).length, 30, "each message once");
    assert.equal((await db.select().from(contacts)).length, 3);
    const threads = await db.select().from(conversations);
    assert.equal(threads.length, 3);
    assert.deepEqual(threads.map((c) => c.unreadCount).sort(), [10, 10, 10]);
    const events = await db.select().from(webhookEvents);
    assert.ok(events.every((e) => e.status === "processed"));
  } finally {
    await ctx.close();
  }
});
