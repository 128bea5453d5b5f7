import { strict as assert } from "node:assert";
import { and, eq } from "drizzle-orm";
import { erpSandboxCustomers, messages } from "../../db/schema/index.ts";
import { checkLine } from "../../src/erp/boleto.ts";
import { isValidCnpj, isValidCpf } from "../../src/core/br-documents.ts";
import { checkPix } from "../../src/erp/pix.ts";
import type { DomainEvent } from "../../src/events/events.ts";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, registerTenant, setPlan } from "../support/identity.ts";
import { addSandboxNumber, customerWrites } from "../support/whatsapp.ts";
import {
  callLog,
  connectSandbox,
  sandboxContracts,
  sandboxCustomers,
  sandboxInvoices,
} from "../support/erp.ts";

type Problem = {
  code: string;
  detail: string;
  reason?: string;
  errors?: { path: string }[];
  [k: string]: unknown;
};
type Invoice = {
  id: string;
  status: string;
  due_date: string;
  amount_cents: number;
  linha_digitavel: string;
  pix_copia_e_cola: string;
  pdf_url: string;
};

Deno.test("sandbox ISP through the ERP routes", async (t) => {
  const ctx = await createTestContext();
  const events: DomainEvent[] = [];
  ctx.services.events.subscribe((e) => void events.push(...e));
  try {
    const owner = await registerTenant(ctx, { tenantName: "Provedor A" });
    await setPlan(ctx, owner.tenantId, "enterprise");
    const other = await registerTenant(ctx, { tenantName: "Provedor B" });
    const get = (path: string, token = owner.token) => ctx.request(`/api/v1/erp/sandbox${path}`, { token });
    const post = (path: string, json?: unknown, headers: Record<string, string> = {}, token = owner.token) =>
      ctx.request(`/api/v1/erp/sandbox${path}`, { method: "POST", token, json, headers });

    let secret = "";
    await t.step(
      "connect: the demo ISP is created, the webhook secret shown once, nothing unsupported",
      async () => {
        const c = await connectSandbox(ctx, owner.token);
        assert.equal(c.status, "connected");
        assert.match(String(c.webhook_secret), /^erpwh_/);
        secret = c.webhook_secret!;
        assert.equal(c.circuit_state, "closed");
        assert.ok(Object.values(c.capabilities as Record<string, unknown>).every((v) => v === true));
        const again = await connectSandbox(ctx, owner.token);
        assert.equal(again.webhook_secret, undefined, "a reconnect keeps the secret and does not show it");
        assert.equal((await sandboxCustomers(ctx, owner.tenantId)).length, 240);
      },
    );

    const people = await sandboxCustomers(ctx, owner.tenantId);
    const blocked = people[3];
    const offline = people[7];
    const active = people[0];
    const usedUnlock = people[13];
    const twoContracts = people[21];

    await t.step("the demo ISP is realistic: documents, lines and PIX codes all check", async () => {
      assert.ok(people.every((p) => isValidCpf(p.document) || isValidCnpj(p.document)));
      assert.ok(people.filter((p) => p.document.length === 14).length >= 15, "some companies");
      assert.equal(new Set(people.map((p) => p.document)).size, people.length);
      const invoices = await sandboxInvoices(ctx, owner.tenantId, blocked.id);
      assert.ok(invoices.length >= 5);
      for (const i of invoices) {
        assert.ok(checkLine(i.linhaDigitavel).ok, i.linhaDigitavel);
        const pix = checkPix(i.pix);
        assert.ok(pix.ok && pix.amountCents === i.amountCents);
      }
    });

    await t.step("customers by document: any punctuation, every match, contracts and plan", async () => {
      const d = blocked.document;
      const masked = `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}`;
      const res = await get(`/customers/${encodeURIComponent(masked)}`);
      const b = await body<
        { data: { id: string; status: string; contracts: { plan: { name: string } }[] }[] }
      >(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(b.data.length, 1);
      assert.equal(b.data[0].id, blocked.id);
      assert.equal(b.data[0].status, "blocked");
      assert.match(b.data[0].contracts[0].plan.name, /Mega|Giga/);
    });

    await t.step("a document with a wrong check digit is 422, and the ERP is not asked", async () => {
      const before = (await callLog(ctx, owner.tenantId, "sandbox")).length;
      const d = active.document;
      const wrong = d.slice(0, 10) + String((Number(d[10]) + 1) % 10);
      const res = await get(`/customers/${wrong}`);
      const p = await body<Problem>(res);
      assert.equal(res.status, 422);
      assert.equal(p.code, "validation_failed");
      assert.match(p.detail, /check digits/);
      assert.equal((await callLog(ctx, owner.tenantId, "sandbox")).length, before);
    });

    await t.step(
      "unknown document: 404; the second lookup comes from the cache and is logged as such",
      async () => {
        const res = await get("/customers/52998224725");
        assert.equal(res.status, 404);
        await res.body?.cancel();
        await (await get(`/customers/${active.document}`)).body?.cancel();
        await (await get(`/customers/${active.document}`)).body?.cancel();
        const log = await callLog(ctx, owner.tenantId, "sandbox");
        const lookups = log.filter((l) => l.operation === "find_customers");
        assert.equal(lookups.at(-1)!.outcome, "cached");
        assert.equal(lookups.at(-2)!.cache_miss, true);
        assert.ok(lookups.every((l) => !l.endpoint.includes(active.document)), "CPFs are masked in the log");
      },
    );

    await t.step("another tenant's customer is not found in this tenant's ERP", async () => {
      await connectSandbox(ctx, other.token);
      const theirs = (await sandboxCustomers(ctx, other.tenantId))[3];
      const res = await get(`/customers/${theirs.document}`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
      const res2 = await get(`/invoices?customer_id=${theirs.id}`);
      assert.equal(res2.status, 404);
      await res2.body?.cancel();
    });

    let overdue: Invoice;
    await t.step("invoices: open ones by default (overdue included), all, paid", async () => {
      const res = await get(`/invoices?customer_id=${blocked.id}`);
      const b = await body<{ data: Invoice[] }>(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      const statuses = b.data.map((i) => i.status);
      assert.ok(statuses.filter((s) => s === "overdue").length >= 2, JSON.stringify(statuses));
      assert.ok(statuses.every((s) => s === "open" || s === "overdue"));
      overdue = b.data.find((i) => i.status === "overdue")!;
      assert.ok(overdue.pdf_url.startsWith("http://pytake.test/api/v1/erp/sandbox/invoices/"));
      const all = await body<{ data: Invoice[] }>(
        await get(`/invoices?customer_id=${blocked.id}&status=all`),
      );
      assert.ok(all.data.some((i) => i.status === "paid"));
      assert.ok(all.data.length > b.data.length);
      const paid = await body<{ data: Invoice[] }>(
        await get(`/invoices?customer_id=${blocked.id}&status=paid`),
      );
      assert.ok(paid.data.every((i) => i.status === "paid"));
      const bad = await get(`/invoices?customer_id=${blocked.id}&status=late`);
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
      const none = await get(`/invoices`);
      assert.equal(none.status, 422);
      await none.body?.cancel();
    });

    await t.step("the PDF link: a real PDF; a tampered or expired token is refused", async () => {
      const path = overdue.pdf_url.replace("http://pytake.test", "");
      const res = await ctx.request(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/pdf");
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(new TextDecoder().decode(bytes.slice(0, 5)), "%PDF-");
      const tampered = await ctx.request(
        path.replace(/token=([^.]+)\.(\w)/, (_, a, b) => `token=${a}.${b === "a" ? "b" : "a"}`),
      );
      assert.equal(tampered.status, 403);
      await tampered.body?.cancel();
      const otherInvoice = await ctx.request(path.replace(`/invoices/${overdue.id}/`, "/invoices/999/"));
      assert.equal(otherInvoice.status, 403);
      await otherInvoice.body?.cancel();
      ctx.clock.advance(4 * 86_400_000);
      const expired = await ctx.request(path);
      assert.equal(expired.status, 403);
      await expired.body?.cancel();
      ctx.clock.advance(-4 * 86_400_000);
    });

    await t.step("segunda via: line, PIX and PDF; a paid invoice is refused", async () => {
      const res = await post(`/invoices/${overdue.id}/duplicate`);
      const b = await body<Invoice & { invoice_id: string }>(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(b.invoice_id, overdue.id);
      assert.equal(b.linha_digitavel, overdue.linha_digitavel);
      assert.ok(checkPix(b.pix_copia_e_cola).ok);
      assert.ok(b.pdf_url);
      const paid = (await sandboxInvoices(ctx, owner.tenantId, blocked.id)).find((i) => i.status === "paid")!;
      const refused = await post(`/invoices/${paid.id}/duplicate`, {});
      const p = await body<Problem>(refused);
      assert.equal(refused.status, 409);
      assert.equal(p.code, "erp_refused");
      assert.equal(p.reason, "paid");
      const wrongCustomer = await post(`/invoices/${overdue.id}/duplicate`, { customer_id: active.id });
      assert.equal(wrongCustomer.status, 404);
      await wrongCustomer.body?.cancel();
    });

    await t.step(
      "segunda via to WhatsApp: a document and the PIX code, once per Idempotency-Key",
      async () => {
        const number = await addSandboxNumber(ctx, owner.token);
        const phone = blocked.phones[0];
        const closed = await post(`/invoices/${overdue.id}/duplicate`, { send_to: phone });
        const pc = await body<Problem>(closed);
        assert.equal(closed.status, 409, JSON.stringify(pc));
        assert.equal(pc.code, "window_closed");
        await customerWrites(ctx, owner.token, number.id, phone, "Quero a segunda via");
        const headers = { "idempotency-key": "segunda-via-1" };
        const res = await post(`/invoices/${overdue.id}/duplicate`, { send_to: phone }, headers);
        const b = await body<
          { sent: { to: string; messages: { type: string; content: Record<string, unknown> }[] } }
        >(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.equal(b.sent.to, phone);
        assert.deepEqual(b.sent.messages.map((m) => m.type), ["document", "text"]);
        const doc = b.sent.messages[0].content as {
          media: { link: string; caption: string; filename: string };
        };
        assert.match(doc.media.link, /\/pdf\?token=/);
        assert.match(doc.media.caption, /Linha digitável: \d{5}\.\d{5} /);
        assert.match(doc.media.caption, /R\$ \d+,\d{2}/);
        const text = b.sent.messages[1].content as { text: { body: string } };
        assert.ok(checkPix(text.text.body).ok, "the second message is the PIX code alone");
        const again = await post(`/invoices/${overdue.id}/duplicate`, { send_to: phone }, headers);
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        await again.body?.cancel();
        const stored = await ctx.services.database.db.select().from(messages)
          .where(and(eq(messages.tenantId, owner.tenantId), eq(messages.direction, "outbound")));
        assert.equal(stored.length, 2, "sent once");
        assert.equal(events.filter((e) => e.type === "message.sent").length, 2);
        const conversationId = stored[0].conversationId;
        const byConversation = await post(`/invoices/${overdue.id}/duplicate`, { send_to: conversationId });
        const bc = await body<{ sent: { to: string } }>(byConversation);
        assert.equal(byConversation.status, 200, JSON.stringify(bc));
        assert.equal(bc.sent.to, phone);
        const foreign = await post(`/invoices/${overdue.id}/duplicate`, { send_to: crypto.randomUUID() });
        assert.equal(foreign.status, 404);
        await foreign.body?.cancel();
        const badPhone = await post(`/invoices/${overdue.id}/duplicate`, { send_to: "12345678" });
        assert.equal(badPhone.status, 422);
        await badPhone.body?.cancel();
      },
    );

    await t.step(
      "connection status: offline with the reason, blocked, a contract filter, unknown ids",
      async () => {
        const res = await get(`/connection-status/${offline.id}`);
        const b = await body<
          { source: string; connections: { state: string; detail: string | null; blocked: boolean }[] }
        >(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.equal(b.source, "live");
        assert.equal(b.connections[0].state, "offline");
        assert.match(b.connections[0].detail!, /LOS/);
        const bl = await body<{ connections: { blocked: boolean; state: string }[] }>(
          await get(`/connection-status/${blocked.id}`),
        );
        assert.equal(bl.connections[0].blocked, true);
        assert.equal(bl.connections[0].state, "offline");
        const contracts = await sandboxContracts(ctx, owner.tenantId, twoContracts.id);
        const one = await body<{ connections: unknown[] }>(
          await get(`/connection-status/${twoContracts.id}?contract_id=${contracts[1].id}`),
        );
        assert.equal(one.connections.length, 1);
        const missing = await get(`/connection-status/999999`);
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
      },
    );

    await t.step(
      "trust unlock: once, then our rule; the ERP's own rule; not blocked; the event",
      async () => {
        const res = await post(`/customers/${blocked.id}/unblock`, undefined, {
          "idempotency-key": "unlock-1",
        });
        const b = await body<{ contract_id: string; until: string }>(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.match(b.until, /^\d{4}-\d{2}-\d{2}$/);
        const replay = await post(`/customers/${blocked.id}/unblock`, undefined, {
          "idempotency-key": "unlock-1",
        });
        assert.equal(replay.status, 200);
        assert.equal(replay.headers.get("idempotent-replayed"), "true");
        await replay.body?.cancel();
        const second = await post(`/customers/${blocked.id}/unblock`, {});
        const p = await body<Problem>(second);
        assert.equal(second.status, 409);
        assert.equal(p.code, "erp_refused");
        assert.equal(p.reason, "policy");
        const status = await body<{ connections: { state: string; blocked: boolean; ip: string }[] }>(
          await get(`/connection-status/${blocked.id}`),
        );
        assert.equal(status.connections[0].state, "online");
        assert.equal(status.connections[0].blocked, false);
        assert.ok(status.connections[0].ip);
        const unlocks = events.filter((e) => e.type === "erp.customer_unblocked");
        assert.equal(unlocks.length, 1);
        assert.equal(unlocks[0].data.customer_id, blocked.id);

        const used = await post(`/customers/${usedUnlock.id}/unblock`, {});
        const pu = await body<Problem>(used);
        assert.equal(used.status, 409);
        assert.equal(pu.reason, "already_used");
        const notBlocked = await post(`/customers/${active.id}/unblock`, {});
        const pn = await body<Problem>(notBlocked);
        assert.equal(notBlocked.status, 409);
        assert.equal(pn.reason, "not_blocked");
        // Refusals give the policy's claim back: after the ERP says no, our rule has not been spent.
        const after = await ctx.services.database.rows(
          (await import("drizzle-orm")).sql`select 1 from erp_unlocks where customer_id = ${usedUnlock.id}`,
        );
        assert.equal(after.length, 0);
      },
    );

    await t.step("tickets: open, list, add to, close; a closed one takes nothing more", async () => {
      const res = await post("/tickets", {
        customer_id: offline.id,
        type: "technical",
        description: "Sem internet",
      }, {
        "idempotency-key": "ticket-1",
      });
      const tk = await body<{ id: string; protocol: string; status: string }>(res);
      assert.equal(res.status, 201, JSON.stringify(tk));
      assert.match(tk.protocol, /^\d{14}$/);
      assert.equal(tk.status, "open");
      const replay = await post("/tickets", {
        customer_id: offline.id,
        type: "technical",
        description: "Sem internet",
      }, {
        "idempotency-key": "ticket-1",
      });
      assert.equal((await body<{ id: string }>(replay)).id, tk.id, "created once");
      const list = await body<{ data: { id: string; status: string }[] }>(
        await get(`/tickets?customer_id=${offline.id}&status=open`),
      );
      assert.ok(list.data.some((x) => x.id === tk.id));
      assert.ok(list.data.every((x) => ["open", "in_progress", "pending"].includes(x.status)));
      const upd = await ctx.request(`/api/v1/erp/sandbox/tickets/${tk.id}`, {
        method: "PUT",
        token: owner.token,
        json: { message: "Técnico agendado para amanhã", close: true },
      });
      const u = await body<{ status: string; messages: { text: string }[] }>(upd);
      assert.equal(upd.status, 200, JSON.stringify(u));
      assert.equal(u.status, "closed");
      assert.equal(u.messages.at(-1)!.text, "Técnico agendado para amanhã");
      const closed = await ctx.request(`/api/v1/erp/sandbox/tickets/${tk.id}`, {
        method: "PUT",
        token: owner.token,
        json: { message: "mais uma" },
      });
      assert.equal(closed.status, 409);
      assert.equal((await body<Problem>(closed)).reason, "ticket_closed");
      const empty = await ctx.request(`/api/v1/erp/sandbox/tickets/${tk.id}`, {
        method: "PUT",
        token: owner.token,
        json: {},
      });
      assert.equal(empty.status, 422);
      await empty.body?.cancel();
      const bad = await post("/tickets", { customer_id: offline.id, type: "urgent", description: "x" });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
      const unknown = await post("/tickets", { customer_id: "999", type: "technical", description: "x" });
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
      const changes = events.filter((e) => e.type === "erp.ticket_updated").map((e) => e.data.change);
      assert.deepEqual(changes, ["created", "closed"]);
    });

    await t.step("plans and plan change: contract required, same plan, blocked, unknown plan", async () => {
      const plans = await body<{ data: { id: string; active: boolean; download_mbps: number }[] }>(
        await get("/plans"),
      );
      assert.ok(plans.data.length >= 6);
      const onSale = await body<{ data: { active: boolean }[] }>(await get("/plans?active=true"));
      assert.ok(onSale.data.every((p) => p.active));
      const ambiguous = await post(`/customers/${twoContracts.id}/change-plan`, { plan_id: "104" });
      const pa = await body<Problem & { contracts: { id: string }[] }>(ambiguous);
      assert.equal(ambiguous.status, 409);
      assert.equal(pa.code, "erp_contract_required");
      assert.equal(pa.contracts.length, 2);
      const contract = pa.contracts[0].id;
      const ok = await post(`/customers/${twoContracts.id}/change-plan`, {
        plan_id: "104",
        contract_id: contract,
      });
      assert.equal(ok.status, 200, await ok.text());
      const same = await post(`/customers/${twoContracts.id}/change-plan`, {
        plan_id: "104",
        contract_id: contract,
      });
      assert.equal((await body<Problem>(same)).reason, "same_plan");
      const blockedChange = await post(`/customers/${people[23].id}/change-plan`, { plan_id: "104" });
      assert.equal((await body<Problem>(blockedChange)).reason, "blocked");
      const retired = await post(`/customers/${active.id}/change-plan`, { plan_id: "100" });
      assert.equal(retired.status, 404);
      await retired.body?.cancel();
    });

    await t.step("permissions: a viewer reads but does not write; an agent cannot reconfigure", async () => {
      const viewer = await addUser(ctx, owner.token, "viewer");
      const agent = await addUser(ctx, owner.token, "agent");
      const read = await get(`/plans`, viewer.token);
      assert.equal(read.status, 200);
      await read.body?.cancel();
      const write = await post(`/customers/${blocked.id}/unblock`, {}, {}, viewer.token);
      assert.equal(write.status, 403);
      await write.body?.cancel();
      const reconnect = await ctx.request("/api/v1/erp/connect/sandbox", {
        method: "POST",
        token: agent.token,
        json: {},
      });
      const p = await body<Problem>(reconnect);
      assert.equal(reconnect.status, 403);
      assert.match(p.detail, /manage:erp/);
      const noToken = await ctx.request("/api/v1/erp/sandbox/plans");
      assert.equal(noToken.status, 401);
      await noToken.body?.cancel();
    });

    await t.step("an unknown ERP type is a 404 naming the five", async () => {
      const res = await ctx.request("/api/v1/erp/tiny/plans", { token: owner.token });
      const p = await body<Problem & { erp_types: string[] }>(res);
      assert.equal(res.status, 404);
      assert.deepEqual(p.erp_types, ["ixc", "sgp", "mk", "hubsoft", "sandbox"]);
    });

    await t.step("an ERP not connected is a 409 that says how to connect it", async () => {
      const res = await ctx.request("/api/v1/erp/ixc/plans", { token: owner.token });
      const p = await body<Problem>(res);
      assert.equal(res.status, 409);
      assert.equal(p.code, "erp_not_connected");
      assert.match(p.detail, /connect\/ixc/);
      const status = await body<{ connected: boolean; status: string }>(
        await ctx.request("/api/v1/erp/ixc/status", { token: owner.token }),
      );
      assert.deepEqual([status.connected, status.status], [false, "not_connected"]);
    });

    void secret;
    void erpSandboxCustomers;
  } finally {
    await ctx.close();
  }
});
