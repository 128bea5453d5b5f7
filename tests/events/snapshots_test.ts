import { strict as assert } from "node:assert";
import type { DomainEvent } from "../../src/events/events.ts";
import { webhookEventTypes } from "../../src/webhooks/webhook-events.ts";
import { eventPayload } from "../../routes/webhooks/event-docs.ts";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, registerTenant, setPlan } from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

/**
 * Events carry a snapshot of what they are about, as the API returns it, so a WebSocket client or
 * a webhook receiver renders it without calling back: each event produced by a user's ordinary
 * day is checked against the schema the OpenAPI `webhooks` section documents, and against what
 * the API answers for the same resource.
 */
Deno.test("events: every event carries its resource as the API shows it", async (t) => {
  const ctx = await createTestContext();
  const seen: DomainEvent[] = [];
  ctx.services.events.subscribe((events) => void seen.push(...events));
  const of = (type: string) => seen.filter((e) => e.type === type);
  const last = (type: string) => {
    const e = of(type).at(-1);
    assert.ok(e, `a ${type} event`);
    return e.data as Record<string, Record<string, unknown>>;
  };
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "growth");
    const ana = await addUser(ctx, owner.token, "agent");
    const number = await addSandboxNumber(ctx, owner.token);
    const phone = customerPhone();
    const call = async (method: string, path: string, json?: unknown, token = owner.token) => {
      const res = await ctx.request(path, { method, token, ...(json !== undefined ? { json } : {}) });
      const b = await body(res);
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(b)}`);
      await ctx.settle();
      return b as Record<string, unknown>;
    };

    await t.step("a customer writes: contact, conversation and message, each whole", async () => {
      await customerWrites(ctx, owner.token, number.id, phone, "Quero a segunda via do boleto");
      await ctx.settle();
      const contact = last("contact.created").contact;
      assert.equal(contact.phone, phone);
      assert.equal(contact.name, "Cliente Teste");
      const conversation = last("conversation.created").conversation;
      assert.equal((conversation.contact as Record<string, unknown>).name, "Cliente Teste");
      assert.equal((conversation.contact as Record<string, unknown>).phone, phone);
      assert.equal(conversation.status, "active");
      assert.equal(conversation.window_open, true);
      const received = last("message.received");
      assert.equal(received.message.body, "Quero a segunda via do boleto");
      assert.equal(received.message.conversation_id, conversation.id);
      assert.equal(received.conversation_id as unknown, conversation.id);
      assert.equal(received.contact.phone, phone);
      assert.equal(received.contact.name, "Cliente Teste");
      // The snapshot is what the API answers for the conversation.
      const api = await call("GET", `/api/v1/conversations/${conversation.id}`);
      assert.deepEqual({ ...api, messages: undefined, notes: undefined, assignments: undefined }, {
        ...conversation,
        messages: undefined,
        notes: undefined,
        assignments: undefined,
      });
    });

    const conversationId = () => last("conversation.created").conversation.id as string;

    await t.step("assigned, noted, tagged and resolved: the conversation after each", async () => {
      await call("POST", `/api/v1/conversations/${conversationId()}/assign`, { agent_id: ana.userId });
      const assigned = last("conversation.assigned");
      assert.equal(assigned.conversation.assigned_to, ana.userId);
      assert.equal((assigned.conversation.assignee as Record<string, unknown>).id, ana.userId);
      assert.equal(assigned.kind as unknown, "assign");
      assert.equal(assigned.previous_assignee as unknown, null);

      await call("POST", `/api/v1/conversations/${conversationId()}/notes`, { note: "Cliente pediu boleto" });
      const noted = last("conversation.note_added");
      assert.equal(noted.note.note, "Cliente pediu boleto");
      assert.equal(noted.conversation.id, conversationId());

      await call("POST", `/api/v1/conversations/${conversationId()}/tags`, { tags: ["financeiro"] });
      assert.deepEqual(last("conversation.updated").conversation.tags, ["financeiro"]);

      await call("PUT", `/api/v1/conversations/${conversationId()}`, { status: "resolved" });
      const resolved = last("conversation.resolved");
      assert.equal(resolved.conversation.status, "resolved");
      assert.ok(resolved.conversation.resolved_at);
      assert.equal(resolved.previous_status as unknown, "active");
    });

    await t.step("a send and its receipts: the message as stored, with its contact", async () => {
      await customerWrites(ctx, owner.token, number.id, phone, "Ainda preciso do boleto");
      await ctx.settle();
      assert.equal(last("conversation.updated").reopened as unknown, true);
      await call("POST", "/api/v1/whatsapp/send", { to: phone, message: "Segue o boleto" });
      const sent = last("message.sent");
      assert.equal(sent.message.status, "sent");
      assert.ok(sent.message.provider_message_id);
      assert.equal(sent.contact.phone, phone);
      ctx.clock.advance(1500);
      await ctx.services.runner!.drain();
      assert.equal(last("message.delivered").message.id, sent.message.id);
      ctx.clock.advance(3000);
      await ctx.services.runner!.drain();
      const read = last("message.read");
      assert.equal(read.message.id, sent.message.id);
      assert.equal(read.message.status, "read");
      assert.equal(read.contact.name, "Cliente Teste");
    });

    await t.step("contacts: created, updated and deleted, as the contact's view", async () => {
      const created = await call("POST", "/api/v1/contacts", { phone: customerPhone(), name: "Maria Souza" });
      assert.deepEqual(last("contact.created").contact, created);
      const updated = await call("PUT", `/api/v1/contacts/${created.id}`, { email: "maria@example.com" });
      const e = last("contact.updated");
      assert.deepEqual(e.contact, updated);
      assert.deepEqual(e.fields as unknown, ["email"]);
      await call("DELETE", `/api/v1/contacts/${created.id}`);
      assert.equal(last("contact.updated").deleted as unknown, true);
      assert.equal(last("contact.updated").contact.id, created.id);
    });

    await t.step("every event matches the schema the OpenAPI document gives it", () => {
      assert.ok(seen.length >= 12);
      for (const e of seen) {
        if (!(webhookEventTypes as readonly string[]).includes(e.type)) continue;
        const schema = eventPayload(e.type);
        assert.ok(schema, `${e.type} is documented`);
        const checked = schema.safeParse(e.data);
        assert.ok(checked.success, `${e.type}: ${JSON.stringify(checked.error?.issues)}`);
      }
    });

    await t.step("the OpenAPI document lists each deliverable event under `webhooks`", async () => {
      const doc = await body<{ webhooks: Record<string, { post: { requestBody: unknown } }> }>(
        await ctx.request("/openapi.json"),
      );
      assert.deepEqual(Object.keys(doc.webhooks).sort(), [...webhookEventTypes].sort());
    });
  } finally {
    await ctx.close();
  }
});
