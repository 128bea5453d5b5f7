import { sql } from "drizzle-orm";
import { inProcessApp, timeCalls } from "./in-process-app.ts";
import type { BenchReport } from "./lib.ts";

/**
 * Dashboard reads on the embedded database with a month of an ISP's traffic: 1,000,000 messages
 * in 100,000 conversations over the last 30 days. Each route through the whole app against the
 * bare SQL it runs: the statements one call of the route sent to PGlite, captured at the client
 * and replayed as they were (same text, same parameters, same order).
 */
export async function dashboardBench(opts: { quick: boolean }): Promise<BenchReport> {
  const { database, client, call, register, addSandboxNumber } = await inProcessApp();
  const owner = await register("dashboard-bench@example.com");
  const auth = { authorization: `Bearer ${owner.token}` };
  const number = await addSandboxNumber(owner.token);
  const conversations = opts.quick ? 10_000 : 100_000;
  const perConversation = 10;

  const seedStart = performance.now();
  const T = owner.tenantId;
  // Conversations start over 30 days; most are answered within minutes and many resolved within hours.
  await database.db.execute(sql`
    insert into contacts (id, tenant_id, phone, wa_id, name, created_at, updated_at)
    select gen_random_uuid(), ${T}::uuid, '+55119' || lpad(i::text, 8, '0'), '55119' || lpad(i::text, 8, '0'),
      'Cliente ' || i, now() - ((i::bigint * 2592000 / ${conversations}) || ' seconds')::interval, now()
    from generate_series(1, ${conversations}) as i`);
  await database.db.execute(sql`
    insert into conversations (id, tenant_id, contact_id, config_id, status, first_response_at, resolved_at,
      last_inbound_at, last_message_at, created_at, updated_at)
    select gen_random_uuid(), c.tenant_id, c.id, ${number.id}::uuid,
      (array['active', 'waiting', 'resolved', 'resolved', 'resolved'])[1 + (abs(hashtext(c.phone)) % 5)],
      c.created_at + ((30 + abs(hashtext(c.phone || 'f')) % 900) || ' seconds')::interval,
      case when abs(hashtext(c.phone)) % 5 >= 2
        then c.created_at + ((600 + abs(hashtext(c.phone || 'r')) % 20000) || ' seconds')::interval end,
      c.created_at + interval '9 minutes', c.created_at + interval '10 minutes', c.created_at, c.created_at
    from contacts c where c.tenant_id = ${T}`);
  await database.db.execute(sql`
    insert into messages (id, tenant_id, conversation_id, contact_id, config_id, direction, type, content, body,
      status, sender_type, timestamp, created_at)
    select gen_random_uuid(), v.tenant_id, v.id, v.contact_id, v.config_id,
      case when n % 2 = 1 then 'inbound' else 'outbound' end, 'text', '{}'::jsonb, 'mensagem ' || n,
      case when n % 2 = 1 then 'received'
        else (array['read', 'read', 'delivered', 'sent', 'failed'])[1 + (n + abs(hashtext(v.id::text))) % 5] end,
      case when n % 2 = 1 then 'contact' when n % 4 = 0 then 'bot' else 'agent' end,
      v.created_at + (n * 60 || ' seconds')::interval, v.created_at
    from conversations v, generate_series(1, ${perConversation}) as n where v.tenant_id = ${T}`);
  await database.db.execute(sql`analyze`);
  const seedSeconds = (performance.now() - seedStart) / 1000;

  // Capture what a route sends to the database.
  type Captured = { text: string; params: unknown[] };
  let recording: Captured[] | undefined;
  const query = client.query.bind(client);
  (client as { query: typeof query }).query = ((text: string, params?: unknown[], options?: unknown) => {
    recording?.push({ text, params: params ?? [] });
    return query(text, params, options as never);
  }) as typeof query;

  const iterations = opts.quick ? 30 : 200;
  const routes = [
    { name: "overview, this month", path: "/api/v1/dashboard/overview?period=month" },
    { name: "KPIs, this month", path: "/api/v1/dashboard/kpis?period=month" },
    { name: "metrics, this week", path: "/api/v1/dashboard/metrics?period=week" },
    {
      name: "chart, messages per day over the month",
      path: "/api/v1/dashboard/charts/messages_inbound?period=month",
    },
  ];
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  for (const r of routes) {
    const first = await call(r.path, { headers: auth });
    if (first.status !== 200) throw new Error(`${r.path}: ${first.status} ${await first.text()}`);
    await first.arrayBuffer();
    recording = [];
    await (await call(r.path, { headers: auth })).arrayBuffer();
    const statements = recording;
    recording = undefined;
    const bare = await timeCalls(iterations, async () => {
      for (const q of statements) await query(q.text, q.params);
    });
    const route = await timeCalls(iterations, async () => {
      await (await call(r.path, { headers: auth })).arrayBuffer();
    });
    notes.push(`${r.name}: ${statements.length} statements.`);
    rows.push(
      {
        metric: `${r.name}: p50 (ms)`,
        baseline: bare.p50.toFixed(1),
        candidate: route.p50.toFixed(1),
        ratio: (route.p50 / bare.p50).toFixed(2),
      },
      {
        metric: `${r.name}: p99 (ms)`,
        baseline: bare.p99.toFixed(1),
        candidate: route.p99.toFixed(1),
        ratio: (route.p99 / bare.p99).toFixed(2),
      },
    );
  }
  await database.close();
  return {
    title: `Dashboard: ${
      (conversations * perConversation).toLocaleString("en")
    } messages on the embedded database`,
    method:
      `Each route through the whole app in process against the bare SQL it runs (the statements of one call, captured at the PGlite client and replayed in order); up to ${iterations} sequential calls each, after a warm-up. Data: ${
        conversations.toLocaleString("en")
      } conversations over the last 30 days with ${perConversation} messages each, generated by the database in ${
        seedSeconds.toFixed(0)
      } s.`,
    rows,
    notes: [
      ...notes,
      "The routes add nothing measurable to their SQL. The SQL itself reads every message of the period (a month here: the whole million) for the KPIs and the message figures; per-day rollups kept by the pipeline are the lever if a month must answer in tens of milliseconds on PGlite.",
    ],
  };
}
