import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { extractText, getDocumentProxy } from "unpdf";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { addUser, createApiKey, registerTenant, setPlan } from "../support/identity.ts";
import { addSandboxNumber } from "../support/whatsapp.ts";
import { WsClient } from "../support/ws-client.ts";

/**
 * A tenant whose every figure is known by hand. São Paulo (UTC-3, no daylight saving since
 * 2019); "now" is 2027-03-10 15:00Z = 12:00 local, so "today" is [03:00Z, 15:00Z).
 *
 * c1 / v1: started 02:30Z (23:30 on the 9th, local: yesterday), answered 02:40Z, resolved 03:20Z
 *          (00:20 local: today). Messages: in 02:30 (yesterday), out/agent 02:40 read (yesterday),
 *          in 03:10, out/agent 03:15 delivered.
 * c2 / v2: started 03:30Z, answered 03:32Z (120 s), active, Ana's. Messages: in 03:30,
 *          out/agent 03:32 read, out/bot 03:33 failed.
 * c3 / v3: started 12:00Z, waiting. Messages: in 12:00, out/bot 12:01 sent, out/api 12:02 pending.
 */
async function seed(ctx: TestContext, tenantId: string, configId: string, agentId: string) {
  const db = ctx.services.database;
  const at = (hhmm: string, day = "10") => `2027-03-${day}T${hhmm}:00Z`;
  const ids = { c1: crypto.randomUUID(), c2: crypto.randomUUID(), c3: crypto.randomUUID() };
  const v = { v1: crypto.randomUUID(), v2: crypto.randomUUID(), v3: crypto.randomUUID() };
  const contact = (id: string, phone: string, name: string, created: string) =>
    db.rows(sql`insert into contacts (id, tenant_id, phone, wa_id, name, created_at, updated_at)
      values (${id}, ${tenantId}, ${phone}, ${
      phone.slice(1)
    }, ${name}, ${created}::timestamptz, ${created}::timestamptz)`);
  await contact(ids.c1, "+5511990000001", "Cliente Um", at("02:30"));
  await contact(ids.c2, "+5511990000002", "Cliente Dois", at("03:30"));
  await contact(ids.c3, "+5511990000003", "Cliente Três", at("12:00"));
  const conversation = (
    id: string,
    contactId: string,
    status: string,
    created: string,
    extra: { first?: string; resolved?: string; assigned?: string; lastIn: string; last: string },
  ) =>
    db.rows(sql`insert into conversations (id, tenant_id, contact_id, config_id, status, assigned_to,
        first_response_at, resolved_at, last_inbound_at, last_message_at, created_at, updated_at)
      values (${id}, ${tenantId}, ${contactId}, ${configId}, ${status}, ${extra.assigned ?? null},
        ${extra.first ?? null}::timestamptz, ${
      extra.resolved ?? null
    }::timestamptz, ${extra.lastIn}::timestamptz,
        ${extra.last}::timestamptz, ${created}::timestamptz, ${created}::timestamptz)`);
  await conversation(v.v1, ids.c1, "resolved", at("02:30"), {
    first: at("02:40"),
    resolved: at("03:20"),
    lastIn: at("03:10"),
    last: at("03:15"),
  });
  await conversation(v.v2, ids.c2, "active", at("03:30"), {
    first: at("03:32"),
    assigned: agentId,
    lastIn: at("03:30"),
    last: at("03:33"),
  });
  await conversation(v.v3, ids.c3, "waiting", at("12:00"), { lastIn: at("12:00"), last: at("12:02") });
  const message = (
    conv: string,
    contactId: string,
    dir: string,
    sender: string,
    status: string,
    time: string,
  ) =>
    db.rows(sql`insert into messages (id, tenant_id, conversation_id, contact_id, config_id, direction, type,
        content, body, status, sender_type, timestamp, created_at)
      values (${crypto.randomUUID()}, ${tenantId}, ${conv}, ${contactId}, ${configId}, ${dir}, 'text', '{}'::jsonb,
        'x', ${status}, ${sender}, ${time}::timestamptz, ${time}::timestamptz)`);
  await message(v.v1, ids.c1, "inbound", "contact", "received", at("02:30"));
  await message(v.v1, ids.c1, "outbound", "agent", "read", at("02:40"));
  await message(v.v1, ids.c1, "inbound", "contact", "received", at("03:10"));
  await message(v.v1, ids.c1, "outbound", "agent", "delivered", at("03:15"));
  await message(v.v2, ids.c2, "inbound", "contact", "received", at("03:30"));
  await message(v.v2, ids.c2, "outbound", "agent", "read", at("03:32"));
  await message(v.v2, ids.c2, "outbound", "bot", "failed", at("03:33"));
  await message(v.v3, ids.c3, "inbound", "contact", "received", at("12:00"));
  await message(v.v3, ids.c3, "outbound", "bot", "sent", at("12:01"));
  await message(v.v3, ids.c3, "outbound", "api", "pending", at("12:02"));
  return { ...ids, ...v };
}

Deno.test("dashboard: every figure of a hand-counted day in São Paulo", async (t) => {
  const ctx = await createTestContext();
  try {
    // Set up a minute before "now" (time runs: sessions need distinct instants), then stop at 15:00Z.
    ctx.clock.set(new Date("2027-03-10T14:59:00Z"));
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "growth");
    const number = await addSandboxNumber(ctx, owner.token);
    const ana = await addUser(ctx, owner.token, "agent");
    const viewer = await addUser(ctx, owner.token, "viewer");
    const ids = await seed(ctx, owner.tenantId, number.id, ana.userId);
    ctx.clock.freeze(new Date("2027-03-10T15:00:00Z"));
    const get = async <T = Record<string, unknown>>(path: string, token = viewer.token) => {
      const res = await ctx.request(path, { token });
      const b = await body<T>(res);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(b)}`);
      return b;
    };

    await t.step("metrics: today starts at local midnight; yesterday's 23:30 is not in it", async () => {
      const m = await get<Record<string, Record<string, unknown>> & { from: string; to: string }>(
        "/api/v1/dashboard/metrics?period=today",
      );
      assert.equal(m.from, "2027-03-10T03:00:00.000Z");
      assert.equal(m.to, "2027-03-10T15:00:00.000Z");
      assert.deepEqual(m.messages, {
        inbound: 3,
        outbound: 5,
        failed: 1,
        delivered: 2,
        read: 1,
        delivery_rate: 0.5,
        read_rate: 0.5,
      });
      assert.deepEqual(m.conversations, { new: 2, resolved: 1, active: 1, waiting: 1 });
      assert.deepEqual(m.contacts, { new: 2, total: 3 });
      const only = await get<Record<string, unknown>>("/api/v1/dashboard/metrics?metrics=contacts");
      assert.deepEqual(Object.keys(only).filter((k) => !["period", "time_zone", "from", "to"].includes(k)), [
        "contacts",
      ]);
      const bad = await ctx.request("/api/v1/dashboard/metrics?metrics=messages,money", {
        token: viewer.token,
      });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    });

    await t.step("a range of dates takes whole local days: the 9th adds yesterday's traffic", async () => {
      const m = await get<
        { messages: { inbound: number; outbound: number }; conversations: { new: number } }
      >(
        "/api/v1/dashboard/metrics?from=2027-03-09&to=2027-03-10",
      );
      assert.equal(m.messages.inbound, 4);
      assert.equal(m.messages.outbound, 6);
      assert.equal(m.conversations.new, 3);
    });

    await t.step("KPIs", async () => {
      const k = await get<Record<string, unknown>>("/api/v1/dashboard/kpis?period=today");
      assert.deepEqual(k.first_response_seconds, { count: 1, average: 120, median: 120, p95: 120 });
      assert.deepEqual(k.resolution_seconds, { count: 1, average: 3000, median: 3000, p95: 3000 });
      assert.equal(k.resolution_rate, 0, "neither of today's two conversations is resolved");
      assert.equal(k.conversations_started, 2);
      assert.equal(k.messages_per_conversation, 2.67, "8 messages in 3 conversations");
      assert.deepEqual(k.handled_by, { agent: 2, bot: 1 });
      const both = await get<{ first_response_seconds: { count: number; average: number; median: number } }>(
        "/api/v1/dashboard/kpis?from=2027-03-09&to=2027-03-10",
      );
      assert.deepEqual(both.first_response_seconds, { count: 2, average: 360, median: 360, p95: 576 });
    });

    await t.step("charts: zero-filled buckets on the local clock", async () => {
      const daily = await get<{ buckets: { label: string; value: number; start: string }[] }>(
        "/api/v1/dashboard/charts/messages_inbound?from=2027-03-08&to=2027-03-10&interval=daily",
      );
      assert.deepEqual(daily.buckets.map((b) => [b.label, b.value]), [
        ["2027-03-08", 0],
        ["2027-03-09", 1],
        ["2027-03-10", 3],
      ]);
      assert.equal(daily.buckets[0].start, "2027-03-08T03:00:00.000Z");
      const hourly = await get<{ buckets: { label: string; value: number }[] }>(
        "/api/v1/dashboard/charts/messages_inbound?period=today&interval=hourly",
      );
      assert.equal(hourly.buckets.length, 12, "00:00 to 11:00 local");
      assert.deepEqual(hourly.buckets.filter((b) => b.value > 0).map((b) => [b.label, b.value]), [
        ["2027-03-10 00:00", 2],
        ["2027-03-10 09:00", 1],
      ]);
      const frt = await get<{ aggregate: string; buckets: { label: string; value: number | null }[] }>(
        "/api/v1/dashboard/charts/first_response_seconds?from=2027-03-09&to=2027-03-10&interval=daily",
      );
      assert.equal(frt.aggregate, "avg");
      assert.deepEqual(frt.buckets.map((b) => b.value), [600, 120]);
      const unknown = await ctx.request("/api/v1/dashboard/charts/revenue", { token: viewer.token });
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    });

    await t.step("queue and active conversations", async () => {
      const q = await get<{ total: number; breached: number; items: Record<string, unknown>[] }>(
        "/api/v1/dashboard/queue",
      );
      assert.equal(q.total, 1);
      assert.equal(q.items[0].conversation_id, ids.v3);
      assert.equal(q.items[0].wait_seconds, 3 * 3600);
      assert.deepEqual(q.items[0].sla, { minutes: 15, state: "breached" });
      const a = await get<{ total: number; items: Record<string, unknown>[] }>(
        "/api/v1/dashboard/conversations/active",
      );
      assert.equal(a.total, 1);
      assert.equal(a.items[0].conversation_id, ids.v2);
      assert.deepEqual(a.items[0].agent, { id: ana.userId, name: "Test agent" });
      assert.equal(a.items[0].awaiting_reply, false);
    });

    await t.step("agents: load and capacity, online from the live socket", async () => {
      const server = await ctx.listen();
      const socket = await WsClient.open(`${server.url.replace(/^http/, "ws")}/ws?token=${ana.token}`);
      try {
        const team = await get<{ online: number; total: number; agents: Record<string, unknown>[] }>(
          "/api/v1/dashboard/agents",
        );
        const row = team.agents.find((x) => x.user_id === ana.userId)!;
        assert.deepEqual(
          [row.online, row.active_conversations, row.capacity, row.utilization, row.available],
          [true, 1, 5, 0.2, true],
        );
        assert.equal(team.online, 1);
        assert.ok(!team.agents.some((x) => x.user_id === viewer.userId), "viewers do not take conversations");
      } finally {
        socket.close();
        await socket.closed;
        await server.close();
      }
    });

    await t.step(
      "alerts: the breached SLA (critical past twice it), a dead number, a disabled endpoint",
      async () => {
        await ctx.services.database.db.execute(
          sql`update whatsapp_configs set connection_state = 'disconnected', quality_rating = 'YELLOW' where id = ${number.id}`,
        );
        await ctx.services.database.db.execute(
          sql`insert into webhook_endpoints (id, tenant_id, url, events, secret,
            secret_hint, is_active, disabled_at, disabled_reason)
          values (${crypto.randomUUID()}, ${owner.tenantId}, 'https://erp.example.com/hook', array['*'], 'sealed',
            'whsec_…abcd', false, now(), 'Failing since 2027-03-09 10:00 UTC without a success')`,
        );
        const a = await get<
          { data: { id: string; type: string; severity: string; resource: { href: string } }[] }
        >(
          "/api/v1/dashboard/alerts",
        );
        assert.deepEqual(a.data.map((x) => [x.type, x.severity]), [
          ["sla_breach", "critical"],
          ["number_disconnected", "critical"],
          ["number_quality", "warning"],
          ["webhook_disabled", "warning"],
        ]);
        assert.equal(a.data[0].resource.href, `/api/v1/conversations/${ids.v3}`);
      },
    );

    await t.step("export: the same figures as a PDF report and as CSV rows", async () => {
      const pdf = await ctx.request("/api/v1/dashboard/export", {
        method: "POST",
        token: viewer.token,
        json: { format: "pdf", period: "today" },
      });
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get("content-type"), "application/pdf");
      const bytes = new Uint8Array(await pdf.arrayBuffer());
      const { text } = await extractText(await getDocumentProxy(bytes), { mergePages: true });
      const flat = (text as string).replace(/\s+/g, " ");
      for (
        const expected of [
          "Relatório do painel",
          "Mensagens recebidas",
          "Tempo de primeira resposta",
          "Test agent",
        ]
      ) {
        assert.ok(flat.includes(expected), `the PDF shows "${expected}"`);
      }
      const csv = await ctx.request("/api/v1/dashboard/export", {
        method: "POST",
        token: viewer.token,
        json: { format: "csv", period: "today" },
      });
      const lines = (await csv.text()).replace(/^\uFEFF/, "").split("\r\n");
      assert.ok(lines.includes("metrics,messages.inbound,,3"), lines.slice(0, 12).join("\n"));
      assert.ok(lines.includes("kpis,first_response_seconds.median,,120"), lines.join("\n"));
      assert.equal(lines.filter((l) => l.startsWith("chart:messages_inbound,hourly,")).length, 12);
    });

    await t.step("overview gathers it", async () => {
      const o = await get<Record<string, unknown>>("/api/v1/dashboard/overview");
      assert.deepEqual(o.queue, { waiting: 1, breached: 1, sla_minutes: 15 });
      assert.equal(o.first_response_median_seconds, 120);
      assert.deepEqual(o.alerts, { critical: 2, warning: 2, info: 0 });
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("dashboard: daylight-saving days in New York are 23 and 25 hours", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const put = await ctx.request(`/api/v1/tenants/${owner.tenantId}`, {
      method: "PUT",
      token: owner.token,
      json: { settings: { timezone: "America/New_York" } },
    });
    assert.equal(put.status, 200);
    await put.body?.cancel();
    const contactId = crypto.randomUUID();
    const conversationId = crypto.randomUUID();
    const db = ctx.services.database;
    await db.rows(
      sql`insert into contacts (id, tenant_id, phone, wa_id) values (${contactId}, ${owner.tenantId}, '+15555550100', '15555550100')`,
    );
    await db.rows(sql`insert into conversations (id, tenant_id, contact_id, config_id, status)
      values (${conversationId}, ${owner.tenantId}, ${contactId}, ${number.id}, 'active')`);
    // 23:30 local on the 13th (EST), 23:30 on the 14th (EDT), 00:30 on the 15th; and in November
    // 01:30 EDT and 01:30 EST, the same wall time an hour apart.
    for (
      const time of [
        "2027-03-14T04:30:00Z",
        "2027-03-15T03:30:00Z",
        "2027-03-15T04:30:00Z",
        "2027-11-07T05:30:00Z",
        "2027-11-07T06:30:00Z",
      ]
    ) {
      await db.rows(
        sql`insert into messages (id, tenant_id, conversation_id, contact_id, config_id, direction, type,
          content, status, sender_type, timestamp)
        values (${crypto.randomUUID()}, ${owner.tenantId}, ${conversationId}, ${contactId}, ${number.id}, 'inbound',
          'text', '{}'::jsonb, 'received', 'contact', ${time}::timestamptz)`,
      );
    }
    const chart = async (q: string) =>
      await body<{ buckets: { label: string; start: string; end: string; value: number }[] }>(
        await ctx.request(`/api/v1/dashboard/charts/messages_inbound?${q}`, { token: owner.token }),
      );

    await t.step("daily: each message on its local day; the spring day is 23 hours", async () => {
      const c = await chart("from=2027-03-13&to=2027-03-15&interval=daily");
      assert.deepEqual(c.buckets.map((b) => [b.label, b.value]), [
        ["2027-03-13", 1],
        ["2027-03-14", 1],
        ["2027-03-15", 1],
      ]);
      const hours = c.buckets.map((b) => (Date.parse(b.end) - Date.parse(b.start)) / 3600_000);
      assert.deepEqual(hours, [24, 23, 24]);
    });

    await t.step(
      "hourly: the skipped hour is missing in March, the repeated one twice in November",
      async () => {
        const spring = await chart("from=2027-03-14&to=2027-03-14&interval=hourly");
        assert.equal(spring.buckets.length, 23);
        assert.ok(!spring.buckets.some((b) => b.label === "2027-03-14 02:00"));
        const fall = await chart("from=2027-11-07&to=2027-11-07&interval=hourly");
        assert.equal(fall.buckets.length, 25);
        const repeated = fall.buckets.filter((b) => b.label === "2027-11-07 01:00");
        assert.deepEqual(repeated.map((b) => b.value), [1, 1], "01:30 EDT and 01:30 EST, one in each");
      },
    );

    await t.step("weekly buckets start on Monday", async () => {
      const c = await chart("from=2027-03-08&to=2027-03-21&interval=weekly");
      assert.deepEqual(c.buckets.map((b) => [b.label, b.value]), [["2027-03-08", 2], ["2027-03-15", 1]]);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("dashboard: widgets are each user's own and validated", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const viewer = await addUser(ctx, owner.token, "viewer");
    const other = await registerTenant(ctx);
    const call = async (token: string, method: string, path: string, json?: unknown) => {
      const res = await ctx.request(path, { method, token, ...(json ? { json } : {}) });
      if (res.status === 204) return { status: 204, body: {} };
      return { status: res.status, body: await body<Record<string, unknown>>(res) };
    };
    let id = "";
    await t.step("create, list, move", async () => {
      const made = await call(viewer.token, "POST", "/api/v1/dashboard/widgets", {
        type: "chart",
        metric: "messages_inbound",
        interval: "daily",
        period: "week",
        position: { x: 0, y: 0, w: 6, h: 3 },
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      id = made.body.id as string;
      const moved = await call(viewer.token, "PUT", `/api/v1/dashboard/widgets/${id}`, {
        position: { x: 6 },
      });
      assert.deepEqual(moved.body.position, { x: 6, y: 0, w: 6, h: 3 });
      const list = await call(viewer.token, "GET", "/api/v1/dashboard/widgets");
      assert.equal((list.body.data as unknown[]).length, 1);
      const mine = await call(owner.token, "GET", "/api/v1/dashboard/widgets");
      assert.equal((mine.body.data as unknown[]).length, 0, "the owner has their own layout");
    });
    await t.step("invalid combinations are 422", async () => {
      for (
        const w of [
          { type: "counter", metric: "messages_inbound", position: { x: 0, y: 0, w: 2, h: 1 } },
          { type: "chart", metric: "messages_inbound", position: { x: 0, y: 0, w: 2, h: 1 } },
          { type: "kpi", metric: "resolution_rate", interval: "daily", position: { x: 0, y: 0, w: 2, h: 1 } },
          { type: "kpi", metric: "resolution_rate", position: { x: 8, y: 0, w: 6, h: 1 } },
          { type: "table", metric: "queue", position: { x: 0, y: 0, w: 13, h: 1 } },
        ]
      ) {
        const r = await call(viewer.token, "POST", "/api/v1/dashboard/widgets", w);
        assert.equal(r.status, 422, JSON.stringify(w));
      }
      const moveOff = await call(viewer.token, "PUT", `/api/v1/dashboard/widgets/${id}`, {
        position: { x: 7 },
      });
      assert.equal(moveOff.status, 422, "x + w past the grid");
    });
    await t.step("another user's or tenant's widget is not found; API keys have none", async () => {
      assert.equal(
        (await call(owner.token, "PUT", `/api/v1/dashboard/widgets/${id}`, { title: "x" })).status,
        404,
      );
      assert.equal((await call(other.token, "DELETE", `/api/v1/dashboard/widgets/${id}`)).status, 404);
      const key = await createApiKey(ctx, owner.token, ["read:dashboard"]);
      assert.equal((await call(key, "GET", "/api/v1/dashboard/widgets")).status, 403);
      assert.equal((await call(viewer.token, "DELETE", `/api/v1/dashboard/widgets/${id}`)).status, 204);
    });
  } finally {
    await ctx.close();
  }
});
