import { strict as assert } from "node:assert";
import { and, eq, sql } from "drizzle-orm";
import { contacts, erpSandboxInvoices } from "../../db/schema/index.ts";
import type { DomainEvent } from "../../src/events/events.ts";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { createContact } from "../support/contacts.ts";
import { callLog, connectSandbox, sandboxCustomers, sandboxInvoices } from "../support/erp.ts";

type Problem = {
  code: string;
  detail: string;
  reason?: string;
  errors?: { path: string }[];
  [k: string]: unknown;
};
type Sync = {
  id: string;
  status: string;
  mode: string;
  total: number;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  progress: number;
  report: { reason: string; document: string | null }[];
  reused?: boolean;
};

Deno.test("sandbox: sync into contacts, webhook events, settings, logs, metrics, disconnect", async (t) => {
  const ctx = await createTestContext();
  const events: DomainEvent[] = [];
  ctx.services.events.subscribe((e) => void events.push(...e));
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "enterprise");
    const { webhook_secret: secret } = await connectSandbox(ctx, owner.token);
    const people = await sandboxCustomers(ctx, owner.tenantId);
    const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      ctx.request(`/api/v1/erp/sandbox${path}`, { token: owner.token, ...init });

    await t.step("a full sync: every customer becomes a contact, tagged and with its ERP id", async () => {
      // A contact the team already knows, with a name and a tag of its own.
      const known = people[3];
      await createContact(ctx, owner.token, {
        phone: known.phones[0],
        name: "Chico (vizinho)",
        tags: ["vip"],
      });
      const res = await api("/sync", { method: "POST" });
      const started = await body<Sync>(res);
      assert.equal(res.status, 202, JSON.stringify(started));
      assert.equal(started.status, "queued");
      assert.equal(res.headers.get("location"), `/api/v1/erp/sandbox/sync/${started.id}`);
      const again = await api("/sync", { method: "POST" });
      const reused = await body<Sync>(again);
      assert.equal(again.status, 200);
      assert.equal(reused.reused, true);
      assert.equal(reused.id, started.id);
      await ctx.services.runner!.drain();
      const done = await body<Sync>(await api(`/sync/${started.id}`));
      assert.equal(done.status, "completed", JSON.stringify(done));
      assert.equal(done.total, 240);
      assert.equal(done.processed, 240);
      assert.equal(done.progress, 1);
      // Phones are unique per tenant; customers are not (some share one): a few are merged.
      assert.equal(done.created + done.updated + done.unchanged + done.skipped, 240);
      assert.equal(done.updated, 1, "the contact that existed");
      const [c] = await ctx.services.database.db.select().from(contacts)
        .where(and(eq(contacts.tenantId, owner.tenantId), eq(contacts.phone, known.phones[0])));
      assert.equal(c.name, "Chico (vizinho)", "the team's name stays");
      assert.ok(c.tags.includes("vip"));
      assert.ok(c.tags.includes("inadimplente"));
      assert.ok(c.tags.includes("bloqueado"));
      assert.ok(c.tags.some((x) => x.startsWith("plano:")));
      assert.equal(c.attributes.erp_customer_id, known.id);
      assert.equal(c.attributes.erp_status, "blocked");
      assert.equal(c.attributes.erp_document, known.document);
      const [paidUp] = await ctx.services.database.db.select().from(contacts)
        .where(and(eq(contacts.tenantId, owner.tenantId), eq(contacts.phone, people[0].phones[0])));
      assert.ok(!paidUp.tags.includes("inadimplente"));
    });

    await t.step("a second sync changes nothing; a customer who paid loses `inadimplente`", async () => {
      const overdueOne = people[9];
      const open = (await sandboxInvoices(ctx, owner.tenantId, overdueOne.id)).filter((i) =>
        i.status === "open"
      );
      await ctx.services.database.db.update(erpSandboxInvoices).set({ status: "paid", paidAt: new Date() })
        .where(
          and(
            eq(erpSandboxInvoices.tenantId, owner.tenantId),
            eq(erpSandboxInvoices.customerId, overdueOne.id),
          ),
        );
      assert.ok(open.length >= 1);
      const res = await api("/sync", { method: "POST" });
      const started = await body<Sync>(res);
      await ctx.services.runner!.drain();
      const done = await body<Sync>(await api(`/sync/${started.id}`));
      assert.equal(done.status, "completed");
      assert.equal(done.created, 0);
      assert.equal(done.updated, 1, JSON.stringify(done));
      const [c] = await ctx.services.database.db.select().from(contacts)
        .where(and(eq(contacts.tenantId, owner.tenantId), eq(contacts.phone, overdueOne.phones[0])));
      assert.ok(!c.tags.includes("inadimplente"), JSON.stringify(c.tags));
      const list = await body<{ data: Sync[]; meta: { total: number } }>(await api("/sync?limit=1"));
      assert.equal(list.meta.total, 2);
      assert.equal(list.data.length, 1);
    });

    await t.step("a sync of given documents, bad ones refused up front, unknown ones reported", async () => {
      const bad = await api("/sync", { method: "POST", json: { documents: ["123.456.789-00"] } });
      const p = await body<Problem>(bad);
      assert.equal(bad.status, 422);
      assert.equal(p.errors![0].path, "body.documents.0");
      const res = await api("/sync", {
        method: "POST",
        json: { documents: [people[5].document, "52998224725"] },
      });
      const started = await body<Sync>(res);
      assert.equal(started.mode, "documents");
      await ctx.services.runner!.drain();
      const done = await body<Sync>(await api(`/sync/${started.id}`));
      assert.equal(done.status, "completed");
      assert.equal(done.processed, 2);
      assert.equal(done.skipped, 1);
      assert.deepEqual(done.report, [{
        customer_id: null,
        document: "***.982.247-**",
        reason: "not found in the ERP",
      }]);
      const foreign = await api(`/sync/${crypto.randomUUID()}`);
      assert.equal(foreign.status, 404);
      await foreign.body?.cancel();
    });

    const hook = (payload: unknown, headers: Record<string, string> = {}, query = "") =>
      ctx.request(`/api/v1/erp/sandbox/webhook${query}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(payload),
      });

    await t.step("webhook: the secret is required, and checked before the body", async () => {
      const none = await hook({ event: "payment_received", data: { invoice_id: "1" } });
      assert.equal(none.status, 401);
      assert.equal((await body<Problem>(none)).code, "invalid_signature");
      const wrong = await hook({ nonsense: true }, { "x-webhook-secret": "erpwh_not-the-secret-at-all" });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      const badBody = await hook({ event: "exploded", data: {} }, { "x-webhook-secret": secret! });
      assert.equal(badBody.status, 422);
      await badBody.body?.cancel();
      const wrongType = await ctx.request("/api/v1/erp/ixc/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-webhook-secret": secret! },
        body: JSON.stringify({ event: "payment_received", data: { invoice_id: "1" } }),
      });
      assert.equal(wrongType.status, 401, "a sandbox secret does not open the IXC webhook");
      await wrongType.body?.cancel();
    });

    await t.step(
      "webhook: a payment is stored once, becomes erp.payment_received and the invoice is paid",
      async () => {
        const customer = people[3];
        const invoice = (await sandboxInvoices(ctx, owner.tenantId, customer.id)).find((i) =>
          i.status === "open"
        )!;
        const payload = {
          event: "payment_received",
          id: "evt-1",
          data: {
            customer_id: customer.id,
            invoice_id: invoice.id,
            amount: "79,90",
            paid_at: "2026-12-04 10:15:00",
          },
        };
        const res = await hook(payload, {}, `?secret=${secret}`);
        assert.deepEqual(await body(res), { status: "received" });
        const dup = await hook(payload, { authorization: `Bearer ${secret}` });
        assert.deepEqual(await body(dup), { status: "duplicate" });
        await ctx.settle();
        const paid = events.filter((e) => e.type === "erp.payment_received");
        assert.equal(paid.length, 1);
        assert.equal(paid[0].data.amount_cents, 7990);
        assert.equal(paid[0].data.paid_at, "2026-12-04T13:15:00.000Z");
        assert.equal(paid[0].data.invoice_id, invoice.id);
        const [row] = await ctx.services.database.db.select().from(erpSandboxInvoices)
          .where(and(eq(erpSandboxInvoices.tenantId, owner.tenantId), eq(erpSandboxInvoices.id, invoice.id)));
        assert.equal(row.status, "paid");
      },
    );

    await t.step("webhook: unlock and ticket events from the ERP", async () => {
      await (await hook({
        event: "customer_unblocked",
        data: { customer_id: people[13].id, until: "07/12/2026" },
      }, {
        "x-webhook-secret": secret!,
      })).body?.cancel();
      await (await hook({
        event: "ticket_updated",
        data: { ticket_id: "77", status: "resolved", message: "Resolvido" },
      }, {
        "x-webhook-secret": secret!,
      })).body?.cancel();
      await ctx.settle();
      const unlocked = events.find((e) => e.type === "erp.customer_unblocked" && e.data.source === "erp")!;
      assert.equal(unlocked.data.until, "2026-12-07");
      const ticket = events.find((e) => e.type === "erp.ticket_updated" && e.data.source === "erp")!;
      assert.deepEqual((ticket.data.ticket as Record<string, unknown>).status, "resolved");
    });

    await t.step("a stored call whose processing died is published by the sweep", async () => {
      const { sweepErpWebhooks } = await import("../../src/erp/webhook.ts");
      await ctx.services.database.rows(sql`
        insert into erp_webhook_events (id, tenant_id, connection_id, erp_type, dedupe_key, raw_body, received_at)
        select gen_random_uuid(), tenant_id, id, 'sandbox', 'id:lost-1',
          ${JSON.stringify({ event: "payment_received", data: { customer_id: people[0].id } })},
          now() - interval '5 minutes'
        from erp_connections where tenant_id = ${owner.tenantId} and erp_type = 'sandbox'`);
      const before = events.filter((e) => e.type === "erp.payment_received").length;
      await sweepErpWebhooks(ctx.services);
      assert.equal(events.filter((e) => e.type === "erp.payment_received").length, before + 1);
      await sweepErpWebhooks(ctx.services);
      assert.equal(events.filter((e) => e.type === "erp.payment_received").length, before + 1, "once");
    });

    await t.step("settings: defaults, a merge, bad values 422, unknown fields refused", async () => {
      const s0 = await body<Record<string, unknown>>(await api("/settings"));
      assert.equal(s0.timeout_ms, 8000);
      const res = await api("/settings", {
        method: "PUT",
        json: { timeout_ms: 3000, unlock: { days: 5 }, ticket_types: { technical: "12" } },
      });
      const s1 = await body<
        {
          timeout_ms: number;
          unlock: { days: number; enabled: boolean };
          ticket_types: Record<string, string>;
        }
      >(
        res,
      );
      assert.equal(res.status, 200, JSON.stringify(s1));
      assert.equal(s1.timeout_ms, 3000);
      assert.deepEqual(s1.unlock, { enabled: true, days: 5, once_per_days: 30 });
      assert.deepEqual(s1.ticket_types, { technical: "12" });
      const removed = await body<{ ticket_types: Record<string, string> }>(
        await api("/settings", { method: "PUT", json: { ticket_types: { technical: null } } }),
      );
      assert.deepEqual(removed.ticket_types, {});
      for (
        const bad of [{ timeout_ms: 5 }, { unlock: { days: 0 } }, { circuit: { nope: 1 } }, {
          open_invoice_statuses: [],
        }]
      ) {
        const r = await api("/settings", { method: "PUT", json: bad });
        assert.equal(r.status, 422, JSON.stringify(bad));
        await r.body?.cancel();
      }
    });

    await t.step("settings: unlocks switched off; open invoices narrowed to overdue", async () => {
      await (await api("/settings", {
        method: "PUT",
        json: { unlock: { enabled: false }, open_invoice_statuses: ["overdue"] },
      }))
        .body?.cancel();
      const res = await api(`/customers/${people[33].id}/unblock`, { method: "POST", json: {} });
      assert.equal((await body<Problem>(res)).reason, "disabled");
      const inv = await body<{ data: { status: string }[] }>(
        await api(`/invoices?customer_id=${people[33].id}`),
      );
      assert.ok(inv.data.length > 0 && inv.data.every((i) => i.status === "overdue"));
      await (await api("/settings", {
        method: "PUT",
        json: { unlock: { enabled: true }, open_invoice_statuses: ["open", "overdue"] },
      }))
        .body?.cancel();
    });

    await t.step("the webhook secret rotates: shown once, the old one stops working", async () => {
      const res = await api("/settings", { method: "PUT", json: { rotate_webhook_secret: true } });
      const b = await body<{ webhook_secret: string }>(res);
      assert.match(b.webhook_secret, /^erpwh_/);
      const old = await hook({ event: "payment_received", data: { customer_id: "1" } }, {
        "x-webhook-secret": secret!,
      });
      assert.equal(old.status, 401);
      await old.body?.cancel();
      const fresh = await hook({ event: "payment_received", data: { customer_id: "1" } }, {
        "x-webhook-secret": b.webhook_secret,
      });
      assert.equal(fresh.status, 200);
      await fresh.body?.cancel();
    });

    await t.step("logs: newest first, paginated, filtered by operation and outcome", async () => {
      await (await api(`/customers/${people[40].document}`)).body?.cancel();
      await (await api(`/customers/${people[40].document}`)).body?.cancel();
      await ctx.settle();
      const page1 = await body<
        { data: { operation: string; outcome: string; endpoint: string }[]; meta: { total: number } }
      >(
        await api("/logs?limit=2"),
      );
      assert.equal(page1.data.length, 2);
      assert.ok(page1.meta.total > 10);
      assert.equal(page1.data[0].outcome, "cached");
      const lookups = await body<{ data: { operation: string; endpoint: string }[] }>(
        await api("/logs?operation=find_customers&limit=100"),
      );
      assert.ok(lookups.data.length >= 2 && lookups.data.every((l) => l.operation === "find_customers"));
      assert.ok(lookups.data.every((l) => !l.endpoint.includes(people[40].document)));
      const cached = await body<{ data: { outcome: string }[] }>(await api("/logs?outcome=cached"));
      assert.ok(cached.data.length >= 1 && cached.data.every((l) => l.outcome === "cached"));
      const bad = await api("/logs?outcome=exploded");
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    });

    await t.step("metrics: calls, p50/p95, cache hit rate and circuit state", async () => {
      const res = await ctx.request("/api/v1/erp/metrics", { token: owner.token });
      const b = await body<
        {
          erps: {
            erp_type: string;
            calls: number;
            cache: { hit_rate: number; hits: number };
            circuit: { state: string };
            latency_ms: { p50: number };
          }[];
        }
      >(
        res,
      );
      assert.equal(res.status, 200);
      const sandbox = b.erps.find((e) => e.erp_type === "sandbox")!;
      assert.ok(sandbox.calls > 10);
      assert.ok(sandbox.cache.hits >= 1);
      assert.ok(sandbox.cache.hit_rate > 0 && sandbox.cache.hit_rate < 1);
      assert.equal(sandbox.circuit.state, "closed");
      assert.equal(typeof sandbox.latency_ms.p50, "number");
      const other = await registerTenant(ctx);
      const empty = await body<{ erps: unknown[] }>(
        await ctx.request("/api/v1/erp/metrics", { token: other.token }),
      );
      assert.deepEqual(empty.erps, [], "another tenant sees none of this");
    });

    await t.step("disconnect: credentials gone, calls refused, logs kept, audited", async () => {
      const res = await api("/disconnect", { method: "DELETE" });
      assert.equal(res.status, 204);
      const status = await body<{ status: string; connected: boolean }>(await api("/status"));
      assert.deepEqual([status.status, status.connected], ["disconnected", false]);
      const call = await api("/plans");
      assert.equal((await body<Problem>(call)).code, "erp_not_connected");
      const logs = await body<{ meta: { total: number } }>(await api("/logs"));
      assert.ok(logs.meta.total > 10);
      const again = await api("/disconnect", { method: "DELETE" });
      assert.equal(again.status, 409);
      await again.body?.cancel();
      const audit = await ctx.services.database.rows<{ action: string }>(
        sql`select action from audit_log where tenant_id = ${owner.tenantId} and action like 'erp.%' order by created_at`,
      );
      assert.deepEqual(audit.map((a) => a.action).filter((a) => a !== "erp.sync"), [
        "erp.connect",
        ...Array(5).fill("erp.settings_update"),
        "erp.disconnect",
      ]);
      assert.ok((await callLog(ctx, owner.tenantId, "sandbox")).length > 10);
    });
  } finally {
    await ctx.close();
  }
});
