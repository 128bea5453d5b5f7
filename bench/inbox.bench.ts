import { type SQL, sql } from "drizzle-orm";
import { contactSearchText } from "../src/contacts/contact-search.ts";
import { inProcessApp, timeCalls } from "./in-process-app.ts";
import type { BenchReport } from "./lib.ts";

/**
 * The inbox on the embedded database with a real ISP's volume: 100,000 contacts, 100,000
 * conversations and 1,000,000 messages. Each route (through the whole app: authentication,
 * validation, the query, the JSON) is timed against the plain SQL it runs, issued straight to
 * PGlite; and a 100,000-row CSV import (upload to the last row applied) against the bare upsert
 * statements of the same rows.
 */

const CONTACTS = 100_000;
const MESSAGES_PER_CONVERSATION = 10;

const first = [
  "João",
  "Maria",
  "José",
  "Ana",
  "Antônio",
  "Francisca",
  "Carlos",
  "Conceição",
  "Paulo",
  "Lúcia",
];
const last = [
  "Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Araújo",
  "Pereira",
  "Lima",
  "Gonçalves",
  "Ferreira",
  "Simões",
];
const phrases = [
  "minha internet caiu de novo",
  "preciso da segunda via do boleto",
  "a conexão está lenta desde ontem",
  "quero mudar meu plano para 500 mega",
  "o técnico não apareceu na visita",
  "obrigado, voltou a funcionar",
];

const ms = (v: number) => v.toFixed(2);

/** The plain SQL of a search: every word of `q` a LIKE of its own on the indexed expression. */
const everyWord = (text: SQL, q: string) =>
  sql.join(q.trim().split(/\s+/).map((w) => sql`${text} like f_unaccent(lower(${`%${w}%`}))`), sql` and `);

export async function inboxBench(opts: { quick: boolean }): Promise<BenchReport[]> {
  const { services, database, call, register } = await inProcessApp({
    MAX_UPLOAD_BYTES: String(64 * 1024 * 1024),
  });

  const owner = await register("inbox-bench@example.com");
  const auth = { authorization: `Bearer ${owner.token}` };
  const number = await (await call("/api/v1/whatsapp-configs", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ api_type: "sandbox", name: "Bench", phone_number: "+5511955551234" }),
  })).json();

  // The data, made by the database itself (seconds, not minutes of inserts from here).
  const contacts = opts.quick ? CONTACTS / 10 : CONTACTS;
  const seedStart = performance.now();
  const arr = (xs: string[]) => sql.raw(`array[${xs.map((x) => `'${x}'`).join(",")}]`);
  await database.db.execute(sql`
    insert into contacts (id, tenant_id, phone, wa_id, name, email, tags, attributes, created_at, updated_at)
    select gen_random_uuid(), ${owner.tenantId}::uuid, '+55119' || lpad(i::text, 8, '0'), '55119' || lpad(i::text, 8, '0'),
      (${arr(first)})[1 + i % 10] || ' ' || (${arr(last)})[1 + (i / 10) % 10] || ' ' || i,
      'cliente' || i || '@example.com',
      case when i % 20 = 0 then array['vip', 'fibra'] when i % 3 = 0 then array['fibra'] else array['radio'] end,
      jsonb_build_object('plano', (i % 5 + 1) * 100 || ' Mega'),
      now() - (i || ' minutes')::interval, now()
    from generate_series(1, ${contacts}) as i`);
  await database.db.execute(sql`
    insert into conversations (id, tenant_id, contact_id, config_id, status, last_message_at, created_at, updated_at)
    select gen_random_uuid(), c.tenant_id, c.id, ${number.id}::uuid,
      (array['active', 'waiting', 'resolved', 'resolved'])[1 + (abs(hashtext(c.phone)) % 4)],
      c.created_at + interval '5 minutes', c.created_at, c.created_at
    from contacts c where c.tenant_id = ${owner.tenantId}`);
  await database.db.execute(sql`
    insert into messages (id, tenant_id, conversation_id, contact_id, config_id, direction, type, content, body,
      status, sender_type, timestamp, created_at)
    select gen_random_uuid(), v.tenant_id, v.id, v.contact_id, v.config_id,
      case when n % 2 = 0 then 'inbound' else 'outbound' end, 'text', '{}'::jsonb,
      (${arr(phrases)})[1 + (n + abs(hashtext(v.id::text))) % 6] || ' #' || n,
      case when n % 2 = 0 then 'received' else 'read' end,
      case when n % 2 = 0 then 'contact' else 'agent' end,
      v.created_at + (n || ' seconds')::interval, v.created_at
    from conversations v, generate_series(1, ${MESSAGES_PER_CONVERSATION}) as n
    where v.tenant_id = ${owner.tenantId}`);
  await database.db.execute(sql`analyze`);
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const iterations = opts.quick ? 30 : 300;
  const terms = ["conceicao", "araujo", "joao silva", "goncalves 12", "lucia", "simoes", "francisca"];
  const phones = ["98765", "0001234", "(11) 90004", "9000777"];
  const T = owner.tenantId;
  const page = sql`limit 20 offset 0`;
  /** A route and the plain SQL it runs (the page and the count). */
  const cases: { name: string; route: (i: number) => string; plain: (i: number) => SQL[] }[] = [
    {
      name: "contacts list, tag filter",
      route: () => "/api/v1/contacts?tags=vip",
      plain: () => [
        sql`select * from contacts where tenant_id = ${T} and deleted_at is null and tags && array['vip']::text[] order by created_at desc, id desc ${page}`,
        sql`select count(*)::int from contacts where tenant_id = ${T} and deleted_at is null and tags && array['vip']::text[]`,
      ],
    },
    {
      name: "contacts search, name without accents",
      route: (i) => `/api/v1/contacts/search?q=${encodeURIComponent(terms[i % terms.length])}`,
      plain: (i) => {
        const where = sql`tenant_id = ${T} and deleted_at is null and ${
          everyWord(contactSearchText, terms[i % terms.length])
        }`;
        return [
          sql`select * from contacts where ${where} order by created_at desc, id desc ${page}`,
          sql`select count(*)::int from contacts where ${where}`,
        ];
      },
    },
    {
      name: "contacts search, phone digits",
      route: (i) => `/api/v1/contacts/search?q=${encodeURIComponent(phones[i % phones.length])}`,
      plain: (i) => {
        const like = `%${phones[i % phones.length].replace(/\D/g, "")}%`;
        const where =
          sql`tenant_id = ${T} and deleted_at is null and ${contactSearchText} like f_unaccent(lower(${like}))`;
        return [
          sql`select * from contacts where ${where} order by created_at desc, id desc ${page}`,
          sql`select count(*)::int from contacts where ${where}`,
        ];
      },
    },
    {
      name: "inbox, open conversations",
      route: () => "/api/v1/conversations?status=active,waiting",
      plain: () => [
        sql`select v.*, c.name, c.phone, u.name from conversations v join contacts c on c.id = v.contact_id
            left join users u on u.id = v.assigned_to
            where v.tenant_id = ${T} and v.status in ('active', 'waiting')
            order by v.last_message_at desc nulls last, v.id desc ${page}`,
        sql`select count(*)::int from conversations where tenant_id = ${T} and status in ('active', 'waiting')`,
      ],
    },
    {
      name: "inbox, contact search",
      route: (i) => `/api/v1/conversations?q=${encodeURIComponent(terms[i % terms.length])}`,
      plain: (i) => {
        const where =
          sql`v.tenant_id = ${T} and v.contact_id in (select id from contacts where tenant_id = ${T} and ${
            everyWord(contactSearchText, terms[i % terms.length])
          })`;
        return [
          sql`select v.*, c.name, c.phone, u.name from conversations v join contacts c on c.id = v.contact_id
              left join users u on u.id = v.assigned_to where ${where}
              order by v.last_message_at desc nulls last, v.id desc ${page}`,
          sql`select count(*)::int from conversations v where ${where}`,
        ];
      },
    },
    ...[
      { name: "message search over 1,000,000", words: ["boleto", "tecnico", "500 mega"] },
      { name: "message search, words in any order", words: ["via boleto", "mega plano", "visita tecnico"] },
    ].map(({ name, words }) => ({
      name,
      route: (i: number) =>
        `/api/v1/whatsapp/messages/search?q=${encodeURIComponent(words[i % words.length])}`,
      plain: (i: number) => {
        const where = sql`tenant_id = ${T} and ${
          everyWord(sql`f_unaccent(lower(body))`, words[i % words.length])
        }`;
        return [
          sql`select * from messages where ${where} order by timestamp desc, id desc ${page}`,
          sql`select count(*)::int from messages where ${where}`,
        ];
      },
    })),
  ];

  const queryRows: BenchReport["rows"] = [];
  for (const c of cases) {
    const status = (await call(c.route(0), { headers: auth })).status;
    if (status !== 200) throw new Error(`${c.name}: ${status}`);
    const plain = await timeCalls(iterations, (i) => Promise.all(c.plain(i).map((q) => database.rows(q))));
    const route = await timeCalls(iterations, async (i) => {
      const res = await call(c.route(i), { headers: auth });
      await res.arrayBuffer();
    });
    queryRows.push(
      {
        metric: `${c.name}: p50 (ms)`,
        baseline: ms(plain.p50),
        candidate: ms(route.p50),
        ratio: (route.p50 / plain.p50).toFixed(2),
      },
      {
        metric: `${c.name}: p99 (ms)`,
        baseline: ms(plain.p99),
        candidate: ms(route.p99),
        ratio: (route.p99 / plain.p99).toFixed(2),
      },
    );
  }

  // The import: a CSV of new customers, upload to the last row applied.
  const rows = opts.quick ? 10_000 : 100_000;
  const lines = ["nome;telefone;email;tags;plano"];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${first[i % 10]} ${last[(i >> 3) % 10]};(21) 9${
        String(70000000 + i).slice(-8)
      };novo${i}@example.com;fibra|novo;${(i % 5 + 1) * 100} Mega`,
    );
  }
  const csv = lines.join("\n");
  const importer = await register("inbox-import@example.com");
  const form = new FormData();
  form.set("file", new File([csv], "clientes.csv", { type: "text/csv" }));
  const t0 = performance.now();
  const accepted = await call("/api/v1/contacts/import", {
    method: "POST",
    headers: { authorization: `Bearer ${importer.token}` },
    body: form,
  });
  const imp = await accepted.json();
  if (accepted.status !== 202) throw new Error(`import: ${accepted.status} ${JSON.stringify(imp)}`);
  const acceptedMs = performance.now() - t0;
  await services.runner!.drain();
  const importMs = performance.now() - t0;
  const done = await (await call(`/api/v1/contacts/imports/${imp.id}`, {
    headers: { authorization: `Bearer ${importer.token}` },
  })).json();
  if (done.created !== rows) throw new Error(`import created ${done.created} of ${rows}`);

  // Baseline: the same rows, already parsed and normalised, upserted by the bare statement.
  const other = await register("inbox-import-base@example.com");
  const prepared = Array.from({ length: rows }, (_, i) => ({
    id: crypto.randomUUID(),
    phone: `+55219${String(70000000 + i).slice(-8)}`,
    name: `${first[i % 10]} ${last[(i >> 3) % 10]}`,
    email: `novo${i}@example.com`,
    tags: ["fibra", "novo"],
    attributes: { plano: `${(i % 5 + 1) * 100} Mega` },
  }));
  const b0 = performance.now();
  for (let i = 0; i < prepared.length; i += 1000) {
    await database.rows(sql`
      insert into contacts as c (id, tenant_id, phone, wa_id, name, email, tags, attributes, created_at, updated_at)
      select id, ${other.tenantId}::uuid, phone, substr(phone, 2), name, email,
        array(select jsonb_array_elements_text(tags)), attributes, now(), now()
      from jsonb_to_recordset(${JSON.stringify(prepared.slice(i, i + 1000))}::jsonb)
        as r(id uuid, phone text, name text, email text, tags jsonb, attributes jsonb)
      on conflict (tenant_id, phone) where deleted_at is null do update set name = excluded.name
      returning (xmax = 0) as inserted`);
  }
  const baseMs = performance.now() - b0;

  await services.runner?.stop();
  await database.close();

  const rate = (n: number, t: number) => n / (t / 1000);
  return [
    {
      title: `Inbox queries: ${contacts.toLocaleString("en")} contacts and ${
        (contacts * MESSAGES_PER_CONVERSATION).toLocaleString("en")
      } messages on the embedded database`,
      method:
        `Each route through the whole app in process (authentication, validation, the query and its count, JSON) against the same SQL issued straight to PGlite; up to ${iterations} sequential calls each (at least 50 within about 20 s), rotating search terms, after a warm-up. Data: ${
          contacts.toLocaleString("en")
        } contacts (tags, attributes, accented names), as many conversations and ${
          (contacts * MESSAGES_PER_CONVERSATION).toLocaleString("en")
        } messages, generated by the database in ${seedSeconds.toFixed(0)} s.`,
      rows: queryRows,
      notes: [
        "A ratio near 1 means the route adds little to its query; the absolute figures are the query's own cost on PGlite (one connection, WASM).",
        "Searches match every word of the query anywhere in the text, in any order, through trigram indexes (each word a condition of the same index scan); the count of matches is part of every page (`meta.total`) and is most of the cost of broad terms. Two common words cost about what the rarer of them costs alone plus the recheck of its matches.",
      ],
    },
    {
      title: `Contact import: ${rows.toLocaleString("en")} rows of CSV`,
      method: `POST /api/v1/contacts/import with a ${
        (csv.length / 1e6).toFixed(1)
      } MB semicolon CSV (phones to normalise, tags, a custom attribute) and the job runner draining the import, against upserting the same rows, already parsed, with the bare INSERT … ON CONFLICT in chunks of 1,000.`,
      rows: [
        {
          metric: "rows/s",
          baseline: rate(rows, baseMs).toFixed(0),
          candidate: rate(rows, importMs).toFixed(0),
          ratio: (rate(rows, importMs) / rate(rows, baseMs)).toFixed(2),
        },
        { metric: "upload answered (ms)", baseline: "", candidate: acceptedMs.toFixed(0), ratio: "" },
        {
          metric: "total (s)",
          baseline: (baseMs / 1000).toFixed(1),
          candidate: (importMs / 1000).toFixed(1),
          ratio: "",
        },
      ],
      notes: [
        "The upload answers once every row is read, checked (libphonenumber per phone) and stored in chunks; the job applies the chunks.",
      ],
    },
  ];
}
