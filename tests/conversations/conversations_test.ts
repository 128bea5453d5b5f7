import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { extractText, getDocumentProxy } from "unpdf";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import {
  type Account,
  addUser,
  createApiKey,
  loginToken,
  registerTenant,
  setPlan,
} from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

interface Conversation {
  id: string;
  status: string;
  priority: string;
  tags: string[];
  assigned_to: string | null;
  assignee: { id: string; name: string } | null;
  contact: { id: string; name: string | null; phone: string };
  config_id: string;
  resolved_at: string | null;
  archived_at: string | null;
  first_response_at: string | null;
  window_open: boolean;
  last_message_at: string | null;
}

interface Detail extends Conversation {
  messages: { body: string; direction: string }[];
  notes: { note: string; author: { name: string; id: string } }[];
  assignments: {
    kind: string;
    from: { id: string; name: string } | null;
    to: { id: string; name: string } | null;
    by: { id: string; name: string };
    reason: string | null;
  }[];
}

type Problem = { code: string; detail: string; existing_id?: string; allowed?: string[]; errors?: unknown[] };

/** The conversation a customer's message opened (looked up by phone). */
async function conversationOf(ctx: TestContext, token: string, phone: string): Promise<Conversation> {
  const list = await body<{ data: Conversation[] }>(
    await ctx.request(`/api/v1/conversations?q=${encodeURIComponent(phone)}`, { token }),
  );
  assert.equal(list.data.length, 1, `one conversation for ${phone}`);
  return list.data[0];
}

function api(ctx: TestContext, token: string) {
  const call = async <T = Conversation>(method: string, path: string, json?: unknown) => {
    const res = await ctx.request(path, { method, token, ...(json !== undefined ? { json } : {}) });
    return { status: res.status, body: await body<T & Problem>(res) };
  };
  return {
    get: <T = Conversation>(path: string) => call<T>("GET", path),
    post: <T = Conversation>(path: string, json?: unknown) => call<T>("POST", path, json),
    put: <T = Conversation>(path: string, json?: unknown) => call<T>("PUT", path, json),
  };
}

Deno.test("conversations: create, the allowed status moves, archive and reopen", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const a = api(ctx, owner.token);
    const phone = customerPhone();

    let id = "";
    await t.step("create upserts the contact (any formatting) and opens an active conversation", async () => {
      const national = phone.replace("+55", "").replace(/^(\d\d)(\d{5})(\d{4})$/, "($1) $2-$3");
      const r = await a.post("/api/v1/conversations", {
        contact_phone: national,
        contact_name: "João Silva",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.status, "active");
      assert.equal(r.body.contact.phone, phone);
      assert.equal(r.body.contact.name, "João Silva");
      assert.equal(r.body.config_id, number.id);
      assert.equal(r.body.window_open, false);
      id = r.body.id;
    });

    await t.step("a second open conversation with the same contact and number: 409 naming it", async () => {
      const r = await a.post("/api/v1/conversations", { contact_phone: phone });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, "conflict");
      assert.equal(r.body.existing_id, id);
    });

    await t.step("bad input: 422 with the field", async () => {
      const r = await a.post("/api/v1/conversations", { contact_phone: "12345678" });
      assert.equal(r.status, 422);
      assert.equal(r.body.code, "validation_failed");
      const unknownNumber = await a.post("/api/v1/conversations", {
        contact_phone: customerPhone(),
        config_id: crypto.randomUUID(),
      });
      assert.equal(unknownNumber.status, 404);
      const badStatus = await a.put(`/api/v1/conversations/${id}`, { status: "closed" });
      assert.equal(badStatus.status, 422);
      const empty = await a.put(`/api/v1/conversations/${id}`, {});
      assert.equal(empty.status, 422);
    });

    await t.step(
      "active → waiting → resolved stamps resolved_at; resolved → waiting is refused",
      async () => {
        assert.equal(
          (await a.put(`/api/v1/conversations/${id}`, { status: "waiting" })).body.status,
          "waiting",
        );
        const resolved = await a.put(`/api/v1/conversations/${id}`, {
          status: "resolved",
          tags: ["vip", "suporte"],
        });
        assert.equal(resolved.status, 200);
        assert.equal(resolved.body.status, "resolved");
        assert.ok(resolved.body.resolved_at);
        assert.deepEqual(resolved.body.tags, ["vip", "suporte"]);
        const refused = await a.put(`/api/v1/conversations/${id}`, { status: "waiting" });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.code, "invalid_transition");
        assert.deepEqual(refused.body.allowed, ["active", "archived"]);
      },
    );

    await t.step("a customer message on a resolved conversation makes it active again", async () => {
      await customerWrites(ctx, owner.token, number.id, phone, "Voltou a cair a internet");
      const r = await a.get(`/api/v1/conversations/${id}`);
      assert.equal(r.body.status, "active");
      assert.equal(r.body.resolved_at, null);
      assert.equal(r.body.window_open, true);
    });

    await t.step("archive (twice: no change), then reopen", async () => {
      const archived = await a.post(`/api/v1/conversations/${id}/archive`);
      assert.equal(archived.status, 200);
      assert.equal(archived.body.status, "archived");
      assert.ok(archived.body.archived_at);
      const again = await a.post(`/api/v1/conversations/${id}/archive`);
      assert.equal(again.body.archived_at, archived.body.archived_at);
      const reopened = await a.post(`/api/v1/conversations/${id}/reopen`);
      assert.equal(reopened.status, 200);
      assert.equal(reopened.body.status, "active");
      assert.equal(reopened.body.archived_at, null);
      const open = await a.post(`/api/v1/conversations/${id}/reopen`);
      assert.equal(open.body.status, "active", "reopening an open conversation answers it as it is");
    });

    await t.step(
      "an archived conversation stays put: the customer's next message opens a new one",
      async () => {
        await a.post(`/api/v1/conversations/${id}/archive`);
        await customerWrites(ctx, owner.token, number.id, phone, "Alguém aí?");
        const list = await a.get<{ data: Conversation[] }>(
          `/api/v1/conversations?q=${encodeURIComponent(phone)}`,
        );
        assert.equal(list.body.data.length, 2);
        const fresh = list.body.data.find((c) => c.id !== id)!;
        assert.equal(fresh.status, "active");
        const reopen = await a.post(`/api/v1/conversations/${id}/reopen`);
        assert.equal(reopen.status, 409, "two open conversations with one contact on one number");
        assert.equal(reopen.body.existing_id, fresh.id);
        const audit = await ctx.services.database.rows<{ action: string }>(sql`
        select action from audit_log where target_id = ${id} order by created_at, id`);
        assert.deepEqual(
          [...new Set(audit.map((r) => r.action))],
          ["conversation.create", "conversation.update", "conversation.archive", "conversation.reopen"],
        );
      },
    );
  } finally {
    await ctx.close();
  }
});

Deno.test("conversations: assignment, transfer and what agents may touch", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "growth");
    const number = await addSandboxNumber(ctx, owner.token);
    const supervisor = await addUser(ctx, owner.token, "supervisor");
    const ana = await addUser(ctx, owner.token, "agent");
    const beto = await addUser(ctx, owner.token, "agent");
    const viewer = await addUser(ctx, owner.token, "viewer");
    const other = await registerTenant(ctx);
    const stranger = await addUser(ctx, other.token, "agent");

    const phone = customerPhone();
    await customerWrites(ctx, owner.token, number.id, phone, "Quero falar com um atendente");
    const { id } = await conversationOf(ctx, owner.token, phone);
    const as = (acc: Account) => api(ctx, acc.token);

    await t.step("the agent must be an active user of the tenant who answers conversations", async () => {
      for (const agent of [viewer.userId, stranger.userId, crypto.randomUUID()]) {
        const r = await as(supervisor).post(`/api/v1/conversations/${id}/assign`, { agent_id: agent });
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(r.body.code, "validation_failed");
      }
    });

    await t.step(
      "an agent takes an unassigned conversation for themselves, not for a colleague",
      async () => {
        const forBeto = await as(ana).post(`/api/v1/conversations/${id}/assign`, { agent_id: beto.userId });
        assert.equal(forBeto.status, 403);
        assert.equal(forBeto.body.code, "forbidden");
        const taken = await as(ana).post(`/api/v1/conversations/${id}/assign`, { agent_id: ana.userId });
        assert.equal(taken.status, 200);
        assert.equal(taken.body.assigned_to, ana.userId);
        assert.equal(taken.body.assignee?.name, "Test agent");
      },
    );

    await t.step("another agent can neither change it, take it, tag it nor note it", async () => {
      const attempts = [
        await as(beto).put(`/api/v1/conversations/${id}`, { status: "resolved" }),
        await as(beto).post(`/api/v1/conversations/${id}/assign`, { agent_id: beto.userId }),
        await as(beto).post(`/api/v1/conversations/${id}/tags`, { tags: ["x"] }),
        await as(beto).post(`/api/v1/conversations/${id}/notes`, { note: "posso?" }),
        await as(beto).post(`/api/v1/conversations/${id}/archive`),
      ];
      for (const r of attempts) {
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.equal(r.body.code, "forbidden");
      }
      const send = await ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: beto.token,
        json: { to: phone, message: "Oi" },
      });
      assert.equal(send.status, 403, "nor answer the customer");
      await send.body?.cancel();
      const read = await as(beto).get(`/api/v1/conversations/${id}`);
      assert.equal(read.status, 200, "reading is fine");
    });

    await t.step(
      "the agent holding it transfers it with a reason; the history keeps both steps",
      async () => {
        const same = await as(ana).post(`/api/v1/conversations/${id}/transfer`, { to_agent_id: ana.userId });
        assert.equal(same.status, 409);
        const moved = await as(ana).post(`/api/v1/conversations/${id}/transfer`, {
          to_agent_id: beto.userId,
          reason: "Especialista técnico",
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        assert.equal(moved.body.assigned_to, beto.userId);
        const back = await as(ana).post(`/api/v1/conversations/${id}/transfer`, { to_agent_id: ana.userId });
        assert.equal(back.status, 403, "once transferred, it is not hers to move");
        const detail = await as(viewer).get<Detail>(`/api/v1/conversations/${id}`);
        assert.deepEqual(
          detail.body.assignments.map((
            h,
          ) => [h.kind, h.from?.id ?? null, h.to?.id ?? null, h.by.id, h.reason]),
          [
            ["assign", null, ana.userId, ana.userId, null],
            ["transfer", ana.userId, beto.userId, ana.userId, "Especialista técnico"],
          ],
        );
      },
    );

    await t.step("a supervisor moves any conversation; unassigning sends it back to the queue", async () => {
      const taken = await as(supervisor).post(`/api/v1/conversations/${id}/assign`, { agent_id: ana.userId });
      assert.equal(taken.status, 200);
      const queued = await as(supervisor).post(`/api/v1/conversations/${id}/assign`, { agent_id: null });
      assert.equal(queued.body.assigned_to, null);
      assert.equal(queued.body.status, "waiting");
      const picked = await as(beto).post(`/api/v1/conversations/${id}/assign`, { agent_id: beto.userId });
      assert.equal(
        picked.body.status,
        "active",
        "a waiting conversation becomes active when an agent takes it",
      );
      const kinds = (await as(owner).get<Detail>(`/api/v1/conversations/${id}`)).body.assignments.map((h) =>
        h.kind
      );
      assert.deepEqual(kinds, ["assign", "transfer", "assign", "unassign", "assign"]);
    });

    await t.step("the inbox filters: assigned_to=me, unassigned", async () => {
      const other = customerPhone();
      await customerWrites(ctx, owner.token, number.id, other, "Outro cliente");
      const mine = await as(beto).get<{ data: Conversation[] }>("/api/v1/conversations?assigned_to=me");
      assert.deepEqual(mine.body.data.map((c) => c.id), [id]);
      const queue = await as(beto).get<{ data: Conversation[] }>("/api/v1/conversations?unassigned=true");
      assert.deepEqual(queue.body.data.map((c) => c.contact.phone), [other]);
    });

    await t.step("an API key with write:conversations acts for the tenant", async () => {
      const key = await createApiKey(ctx, owner.token, ["read:conversations", "write:conversations"]);
      const r = await api(ctx, key).post(`/api/v1/conversations/${id}/notes`, {
        note: "Integração ERP: boleto pago",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((r.body as unknown as { author: { type: string } }).author.type, "api_key");
    });

    await t.step("another tenant's conversation is not found, and stays as it was", async () => {
      const before = (await as(owner).get<Detail>(`/api/v1/conversations/${id}`)).body;
      for (
        const r of [
          await api(ctx, other.token).get(`/api/v1/conversations/${id}`),
          await api(ctx, other.token).post(`/api/v1/conversations/${id}/assign`, {
            agent_id: stranger.userId,
          }),
          await api(ctx, other.token).put(`/api/v1/conversations/${id}`, { status: "resolved" }),
          await api(ctx, other.token).get(`/api/v1/conversations/${id}/export?format=json`),
        ]
      ) {
        assert.equal(r.status, 404);
        assert.equal(r.body.code, "not_found");
      }
      const after = (await as(owner).get<Detail>(`/api/v1/conversations/${id}`)).body;
      assert.deepEqual(after, before);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("conversations: tags, internal notes and the inbox list", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const a = api(ctx, owner.token);
    const joao = customerPhone();
    const maria = customerPhone();
    await customerWrites(ctx, owner.token, number.id, joao, "Oi");
    ctx.clock.advance(60_000);
    await customerWrites(ctx, owner.token, number.id, maria, "Boa tarde");
    const conv = await conversationOf(ctx, owner.token, joao);
    await ctx.services.database.db.execute(
      sql`update contacts set name = 'João Conceição' where id = ${conv.contact.id}`,
    );

    await t.step("tags are added once, whatever the repetition", async () => {
      const first = await a.post(`/api/v1/conversations/${conv.id}/tags`, {
        tags: ["urgente", "financeiro"],
      });
      assert.deepEqual(first.body.tags, ["urgente", "financeiro"]);
      const again = await a.post(`/api/v1/conversations/${conv.id}/tags`, {
        tags: ["financeiro", " urgente ", "vip"],
      });
      assert.deepEqual(again.body.tags, ["urgente", "financeiro", "vip"]);
      const none = await a.post(`/api/v1/conversations/${conv.id}/tags`, { tags: [] });
      assert.equal(none.status, 422);
    });

    await t.step("a note keeps its author and time and is never sent to the customer", async () => {
      const before = (await a.get<Detail>(`/api/v1/conversations/${conv.id}`)).body.messages.length;
      const r = await a.post<
        { id: string; note: string; author: { id: string; name: string }; created_at: string }
      >(
        `/api/v1/conversations/${conv.id}/notes`,
        { note: "Cliente solicitou desconto" },
      );
      assert.equal(r.status, 201);
      assert.equal(r.body.author.id, owner.userId);
      assert.equal(r.body.author.name, "Dona Maria");
      const detail = (await a.get<Detail>(`/api/v1/conversations/${conv.id}`)).body;
      assert.deepEqual(detail.notes.map((n) => n.note), ["Cliente solicitou desconto"]);
      assert.equal(detail.messages.length, before);
      const sent = await ctx.services.database.rows<{ n: number }>(
        sql`select count(*)::int as n from messages where conversation_id = ${conv.id} and direction = 'outbound'`,
      );
      assert.equal(sent[0].n, 0);
      const blank = await a.post(`/api/v1/conversations/${conv.id}/notes`, { note: "   " });
      assert.equal(blank.status, 422);
    });

    await t.step(
      "newest activity first; q finds names without accents and phones in any format",
      async () => {
        const all = await a.get<{ data: Conversation[]; meta: { total: number } }>("/api/v1/conversations");
        assert.deepEqual(all.body.data.map((c) => c.contact.phone), [maria, joao]);
        assert.equal(all.body.meta.total, 2);
        for (
          const q of ["joao conceicao", "conceicao JOÃO", "CONCEIÇÃO", joao.slice(5, 9) + "-" + joao.slice(9)]
        ) {
          const r = await a.get<{ data: Conversation[] }>(`/api/v1/conversations?q=${encodeURIComponent(q)}`);
          assert.deepEqual(r.body.data.map((c) => c.id), [conv.id], q);
        }
      },
    );

    await t.step("status lists, tag, config and updated_since filters", async () => {
      await a.put(`/api/v1/conversations/${conv.id}`, { status: "resolved" });
      const open = await a.get<{ data: Conversation[] }>("/api/v1/conversations?status=active,waiting");
      assert.deepEqual(open.body.data.map((c) => c.contact.phone), [maria]);
      const bad = await a.get("/api/v1/conversations?status=active,closed");
      assert.equal(bad.status, 422);
      const tagged = await a.get<{ data: Conversation[] }>("/api/v1/conversations?tag=vip");
      assert.deepEqual(tagged.body.data.map((c) => c.id), [conv.id]);
      const byNumber = await a.get<{ data: Conversation[] }>(`/api/v1/conversations?config_id=${number.id}`);
      assert.equal(byNumber.body.data.length, 2);
      const since = new Date(ctx.clock.now().getTime() - 1).toISOString();
      ctx.clock.advance(1000);
      await a.put(`/api/v1/conversations/${conv.id}`, { priority: "urgent" });
      const changed = await a.get<{ data: Conversation[] }>(
        `/api/v1/conversations?updated_since=${encodeURIComponent(since)}`,
      );
      assert.deepEqual(changed.body.data.map((c) => c.id), [conv.id]);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("conversations: the transcript as PDF, CSV and JSON", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx, { tenantName: "Fibra Rápida Telecom" });
    const number = await addSandboxNumber(ctx, owner.token);
    const phone = customerPhone();
    await customerWrites(
      ctx,
      owner.token,
      number.id,
      phone,
      "Olá, não consigo acessar a internet. Ação urgente!",
    );
    const conv = await conversationOf(ctx, owner.token, phone);
    const sent = await ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: owner.token,
      json: { to: phone, message: "Vamos verificar a conexão, João. Já reiniciou o roteador?" },
    });
    assert.equal(sent.status, 201);
    await sent.body?.cancel();
    const media = await ctx.request("/api/v1/whatsapp/send-document", {
      method: "POST",
      token: owner.token,
      json: { to: phone, document_url: "https://cdn.example.com/manual.pdf", filename: "manual.pdf" },
    });
    assert.equal(media.status, 201, await media.clone().text());
    await media.body?.cancel();
    await api(ctx, owner.token).post(`/api/v1/conversations/${conv.id}/notes`, {
      note: "Técnico agendado para amanhã",
    });
    await ctx.services.runner!.drain();

    await t.step("PDF: a real document with the messages, the media and the note", async () => {
      const res = await ctx.request(`/api/v1/conversations/${conv.id}/export?format=pdf`, {
        token: owner.token,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/pdf");
      assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="conversa-.+\.pdf"/);
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(new TextDecoder().decode(bytes.slice(0, 5)), "%PDF-");
      const pdf = await getDocumentProxy(bytes);
      const { text } = await extractText(pdf, { mergePages: true });
      const flat = (text as string).replace(/\s+/g, " ");
      for (
        const expected of [
          "Olá, não consigo acessar a internet. Ação urgente!",
          "Vamos verificar a conexão, João.",
          "manual.pdf",
          "Técnico agendado para amanhã",
          "Fibra Rápida Telecom",
          phone,
        ]
      ) assert.ok(flat.includes(expected), `the PDF shows "${expected}": ${flat.slice(0, 600)}`);
    });

    await t.step("CSV: one row per message and note, times in the tenant's zone", async () => {
      const res = await ctx.request(`/api/v1/conversations/${conv.id}/export?format=csv`, {
        token: owner.token,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
      const text = await res.text();
      const lines = text.replace(/^\uFEFF/, "").trim().split("\r\n");
      assert.equal(lines.length, 1 + 4);
      assert.ok(lines[0].startsWith("time,kind,direction,sender"));
      assert.ok(lines.some((l) => l.includes(",note,") && l.includes("Técnico agendado")));
      assert.ok(
        lines.slice(1).every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00,/.test(l)),
        lines.join("\n"),
      );
    });

    await t.step("JSON: the same entries as data", async () => {
      const res = await ctx.request(`/api/v1/conversations/${conv.id}/export?format=json`, {
        token: owner.token,
      });
      const json = await body<
        { entries: { kind: string; text: string; media: { filename: string } | null }[] }
      >(res);
      assert.deepEqual(json.entries.map((e) => e.kind), ["message", "message", "message", "note"]);
      assert.equal(json.entries[2].media?.filename, "manual.pdf");
      const bad = await ctx.request(`/api/v1/conversations/${conv.id}/export?format=docx`, {
        token: owner.token,
      });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("conversations: stats for a period in the tenant's time zone", async (t) => {
  const ctx = await createTestContext();
  try {
    // 2027-03-09 23:30 in São Paulo (02:30 UTC on the 10th): yesterday, seen from the 10th.
    ctx.clock.set(new Date("2027-03-10T02:30:00Z"));
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "growth");
    const number = await addSandboxNumber(ctx, owner.token);
    const ana = await addUser(ctx, owner.token, "agent");
    // Hours pass in this test, beyond an access token's life: the owner acts through a key.
    const key = await createApiKey(ctx, owner.token);
    const a = api(ctx, key);
    const minute = 60_000;
    await customerWrites(ctx, key, number.id, customerPhone(), "Boa noite");

    // The 10th: three customers; Ana answers two (after 2 and 6 minutes) and resolves one after 30.
    ctx.clock.set(new Date("2027-03-10T12:00:00Z"));
    ana.token = await loginToken(ctx, ana.email);
    const phones = [customerPhone(), customerPhone(), customerPhone()];
    for (const p of phones) await customerWrites(ctx, key, number.id, p, "Sem internet");
    const convs = await Promise.all(phones.map((p) => conversationOf(ctx, key, p)));
    for (const c of convs.slice(0, 2)) {
      await a.post(`/api/v1/conversations/${c.id}/assign`, { agent_id: ana.userId });
    }
    const reply = async (phone: string) => {
      const r = await ctx.request("/api/v1/whatsapp/send", {
        method: "POST",
        token: ana.token,
        json: { to: phone, message: "Olá! Vou verificar." },
      });
      assert.equal(r.status, 201);
      await r.body?.cancel();
    };
    ctx.clock.advance(2 * minute);
    await reply(phones[0]);
    ctx.clock.advance(4 * minute);
    await reply(phones[1]);
    ctx.clock.advance(24 * minute);
    ana.token = await loginToken(ctx, ana.email);
    assert.equal(
      (await api(ctx, ana.token).put(`/api/v1/conversations/${convs[0].id}`, { status: "resolved" })).status,
      200,
    );
    ctx.clock.set(new Date("2027-03-10T15:00:00Z"));

    await t.step("today: new, resolved, statuses, response and resolution times, per agent", async () => {
      const r = await a.get<Record<string, unknown>>("/api/v1/conversations/stats?period=today");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const s = r.body as unknown as {
        time_zone: string;
        from: string;
        new: number;
        resolved: number;
        by_status: Record<string, number>;
        open_now: number;
        unassigned_open: number;
        first_response_seconds: { average: number; median: number; count: number };
        resolution_seconds: { average: number; median: number };
        by_agent: { user_id: string; conversations: number; resolved: number; open_now: number }[];
      };
      assert.equal(s.time_zone, "America/Sao_Paulo");
      assert.equal(s.from, "2027-03-10T03:00:00.000Z", "midnight in São Paulo");
      assert.equal(s.new, 3, "the 23:30 conversation belongs to yesterday");
      assert.equal(s.resolved, 1);
      assert.deepEqual(s.by_status, { active: 2, waiting: 0, resolved: 1, archived: 0 });
      assert.equal(s.open_now, 3, "open now counts yesterday's too");
      assert.equal(s.unassigned_open, 2);
      assert.deepEqual(s.first_response_seconds, { average: 240, median: 240, count: 2 });
      assert.equal(s.resolution_seconds.average, 30 * 60);
      assert.deepEqual(
        s.by_agent.map((x) => [x.user_id, x.conversations, x.resolved, x.open_now]),
        [[ana.userId, 2, 1, 1]],
      );
    });

    await t.step("a custom range by dates includes the evening before", async () => {
      const r = await a.get<{ new: number; from: string; to: string }>(
        "/api/v1/conversations/stats?from=2027-03-09&to=2027-03-10",
      );
      assert.equal(r.body.new, 4);
      assert.equal(r.body.from, "2027-03-09T03:00:00.000Z");
      assert.equal(r.body.to, "2027-03-11T03:00:00.000Z");
      const half = await a.get("/api/v1/conversations/stats?from=2027-03-09");
      assert.equal(half.status, 422);
    });

    await t.step("the tenant's own zone moves the day", async () => {
      const put = await ctx.request(`/api/v1/tenants/${owner.tenantId}`, {
        method: "PUT",
        token: await loginToken(ctx, owner.email),
        json: { settings: { timezone: "UTC" } },
      });
      assert.equal(put.status, 200, await put.clone().text());
      await put.body?.cancel();
      const r = await a.get<{ new: number; time_zone: string }>("/api/v1/conversations/stats?period=today");
      assert.equal(r.body.time_zone, "UTC");
      assert.equal(r.body.new, 4, "in UTC, 02:30 is the same day");
    });
  } finally {
    await ctx.close();
  }
});
