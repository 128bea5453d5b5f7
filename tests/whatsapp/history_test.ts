import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant } from "../support/identity.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

type Page = {
  data: { id: string; body: string; direction: string; conversation_id: string }[];
  meta: { total: number; page: number; limit: number };
};

Deno.test("history: a conversation's messages, paginated, and an accent-insensitive search", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const ana = customerPhone();
    const bia = customerPhone();
    await customerWrites(ctx, owner.token, number.id, ana, "Preciso da segunda via do boleto");
    ctx.clock.advance(1000);
    await customerWrites(ctx, owner.token, number.id, ana, "A cobrança veio em DUPLICIDADE");
    ctx.clock.advance(1000);
    await customerWrites(ctx, owner.token, number.id, bia, "Ação judicial? Não, só quero cancelar");
    ctx.clock.advance(1000);
    await customerWrites(ctx, owner.token, number.id, bia, "Quero o orçamento da fibra zebra");
    ctx.clock.advance(1000);
    const sent = await ctx.request("/api/v1/whatsapp/send", {
      method: "POST",
      token: owner.token,
      json: { to: ana, message: "Segue a segunda via atualizada." },
    });
    assert.equal(sent.status, 201);
    const anaConversation =
      (await body<{ message: { conversation_id: string } }>(sent)).message.conversation_id;
    const get = async (path: string) => await body<Page>(await ctx.request(path, { token: owner.token }));

    await t.step("a conversation, newest first, two per page", async () => {
      const p1 = await get(`/api/v1/whatsapp/messages?conversation_id=${anaConversation}&limit=2`);
      assert.equal(p1.meta.total, 3);
      assert.deepEqual(p1.data.map((m) => m.body), [
        "Segue a segunda via atualizada.",
        "A cobrança veio em DUPLICIDADE",
      ]);
      const p2 = await get(`/api/v1/whatsapp/messages?conversation_id=${anaConversation}&limit=2&page=2`);
      assert.deepEqual(p2.data.map((m) => m.body), ["Preciso da segunda via do boleto"]);
      const asc = await get(
        `/api/v1/whatsapp/messages?conversation_id=${anaConversation}&order=asc&direction=inbound`,
      );
      assert.deepEqual(asc.data.map((m) => m.body), [
        "Preciso da segunda via do boleto",
        "A cobrança veio em DUPLICIDADE",
      ]);
    });

    await t.step("search ignores case and accents, in both directions", async () => {
      assert.deepEqual((await get("/api/v1/whatsapp/messages/search?q=acao")).data.map((m) => m.body), [
        "Ação judicial? Não, só quero cancelar",
      ]);
      assert.deepEqual((await get("/api/v1/whatsapp/messages/search?q=COBRANCA")).data.map((m) => m.body), [
        "A cobrança veio em DUPLICIDADE",
      ]);
      assert.equal((await get("/api/v1/whatsapp/messages/search?q=segunda%20via")).meta.total, 2);
      assert.equal(
        (await get("/api/v1/whatsapp/messages/search?q=segunda%20via&direction=outbound")).meta.total,
        1,
      );
      assert.equal(
        (await get("/api/v1/whatsapp/messages/search?q=100%25")).meta.total,
        0,
        "% is literal, not a wildcard",
      );
    });

    await t.step("every word must match, in any order, case and accents ignored", async () => {
      const found = async (q: string) =>
        (await get(`/api/v1/whatsapp/messages/search?q=${encodeURIComponent(q)}`)).data.map((m) => m.body);
      for (const q of ["zebra orcamento", "ORÇAMENTO  Zebra", "fibra quero zebra"]) {
        assert.deepEqual(await found(q), ["Quero o orçamento da fibra zebra"], q);
      }
      assert.deepEqual(await found("zebra boleto"), [], "one word missing: no match");
      assert.deepEqual(await found("via segunda boleto"), ["Preciso da segunda via do boleto"]);
    });

    await t.step("from and to bound the search by date", async () => {
      const today = ctx.clock.now().toISOString().slice(0, 10);
      assert.equal(
        (await get(`/api/v1/whatsapp/messages/search?q=via&from=${today}&to=${today}`)).meta.total,
        2,
      );
      assert.equal((await get("/api/v1/whatsapp/messages/search?q=via&to=2020-01-01")).meta.total, 0);
      const bad = await ctx.request("/api/v1/whatsapp/messages/search?q=via&from=ontem", {
        token: owner.token,
      });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
      const short = await ctx.request("/api/v1/whatsapp/messages/search?q=a", { token: owner.token });
      assert.equal(short.status, 422);
      await short.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("history: the search uses the trigram index, for every word", async () => {
  const ctx = await createTestContext();
  try {
    const { sql } = await import("drizzle-orm");
    const { messageMatches } = await import("../../src/whatsapp/message-search.ts");
    const query = sql`explain select id from messages where ${messageMatches("zebra orcamento")}`;
    const rows = await ctx.services.database.rows<{ "QUERY PLAN": string }>(query);
    // With no rows the planner may still prefer a scan; force the choice it makes on big tables.
    await ctx.services.database.rows(sql`set enable_seqscan = off`);
    const forced = (await ctx.services.database.rows<{ "QUERY PLAN": string }>(query)).map((r) =>
      r["QUERY PLAN"]
    )
      .join("\n");
    assert.ok(rows.length > 0);
    assert.match(forced, /messages_body_search_idx/, forced);
    const indexCond = forced.split("\n").find((l) => l.includes("Index Cond:")) ?? "";
    assert.equal(indexCond.match(/~~/g)?.length, 2, `both words are index conditions: ${forced}`);
    assert.doesNotMatch(forced, /^\s*Filter:/m, forced);
  } finally {
    await ctx.close();
  }
});
