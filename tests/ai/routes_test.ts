import { strict as assert } from "node:assert";
import { and, eq } from "drizzle-orm";
import { aiUsage, auditLog } from "../../db/schema/index.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { addUser, createApiKey, registerTenant, setPlan } from "../support/identity.ts";
import { OpenAiStandin } from "../support/openai-standin.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

type Json = Record<string, unknown>;

const post = (ctx: TestContext, path: string, token: string | undefined, json: unknown) =>
  ctx.request(`/api/v1/ai/${path}`, { method: "POST", token, json });

async function ok200(res: Response): Promise<Json> {
  const b = await body(res);
  assert.equal(res.status, 200, JSON.stringify(b));
  return b;
}

/** A tenant with a sandbox number and one conversation whose customer wrote `texts`. */
async function withConversation(ctx: TestContext, token: string, texts: string[]) {
  const number = await addSandboxNumber(ctx, token);
  const phone = customerPhone();
  for (const t of texts) await customerWrites(ctx, token, number.id, phone, t);
  await ctx.settle();
  const list = await body<{ data: { id: string }[] }>(await ctx.request("/api/v1/conversations", { token }));
  return list.data[0].id;
}

/** Reads an SSE body into its events. */
async function sseEvents(res: Response): Promise<{ event: string; data: Json }[]> {
  const text = await res.text();
  return text.split("\n\n").filter((b) => b.trim()).map((block) => {
    const event = block.match(/^event: (.*)$/m)?.[1] ?? "message";
    const data = JSON.parse(block.match(/^data: (.*)$/m)?.[1] ?? "{}");
    return { event, data };
  });
}

Deno.test("AI routes on the offline provider", async (t) => {
  const ctx = await createTestContext();
  try {
    const a = await registerTenant(ctx);
    await setPlan(ctx, a.tenantId, "enterprise");

    await t.step("settings start offline, redaction on, nothing spent", async () => {
      const s = await ok200(await ctx.request("/api/v1/ai/settings", { token: a.token }));
      assert.equal(s.provider, "offline");
      assert.equal(s.enabled, true);
      assert.equal(s.redact_pii, true);
      assert.equal(s.api_key_set, false);
      assert.equal((s.usage as Json).total_tokens, 0);
      assert.equal((s.platform as Json).model_available, false);
    });

    await t.step("sentiment, intent and entities", async () => {
      const s = await ok200(
        await post(ctx, "analyze-sentiment", a.token, { text: "Estou muito satisfeito com o atendimento" }),
      );
      assert.equal(s.sentiment, "positive");
      assert.equal(s.provider, "offline");
      assert.deepEqual(s.usage, { input_tokens: 0, output_tokens: 0 });
      const i = await ok200(
        await post(ctx, "classify-intent", a.token, { message: "nao to conseguindo acessar" }),
      );
      assert.equal(i.intent, "sem_conexao");
      const e = await ok200(
        await post(ctx, "extract-entities", a.token, {
          text: "Meu CPF é 123.456.789-00, ops, 529.982.247-25 e meu email é joao@example.com",
        }),
      );
      assert.deepEqual((e.entities as Json[]).map((x) => [x.type, x.value, x.valid]), [
        ["cpf", "123.456.789-00", false],
        ["cpf", "529.982.247-25", true],
        ["email", "joao@example.com", true],
      ]);
    });

    await t.step("translation offline is 503 naming the setting, never an echo", async () => {
      const res = await post(ctx, "translate", a.token, {
        text: "Hello, how are you?",
        target_language: "pt",
      });
      const p = await body(res);
      assert.equal(res.status, 503);
      assert.equal(p.code, "ai_unavailable");
      assert.equal(p.setting, "provider");
      assert.ok(!JSON.stringify(p).includes("how are you"));
    });

    await t.step("generate-template drafts a template Meta would accept", async () => {
      const r = await ok200(
        await post(ctx, "generate-template", a.token, { purpose: "welcome_message", tone: "formal" }),
      );
      const tpl = r.template as { name: string; category: string; language: string; components: Json[] };
      assert.equal(tpl.name, "welcome_message");
      assert.equal(tpl.category, "UTILITY");
      assert.equal(tpl.language, "pt_BR");
      const bodyC = tpl.components.find((c) => c.type === "BODY") as {
        text: string;
        example: { body_text: string[][] };
      };
      assert.match(bodyC.text, /\{\{1\}\}.*\{\{2\}\}/);
      assert.equal(bodyC.example.body_text[0].length, 2);
      assert.match(r.preview as string, /Maria/);
      const otp = await ok200(
        await post(ctx, "generate-template", a.token, { purpose: "codigo de verificacao" }),
      );
      assert.equal((otp.template as Json).category, "AUTHENTICATION");
      const bad = await post(ctx, "generate-template", a.token, { purpose: "x", tone: "sarcastic" });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    });

    await t.step("summarize and suggest read the conversation's own messages", async () => {
      const id = await withConversation(ctx, a.token, [
        "boa noite, minha internet caiu de novo!!",
        "to sem net desde as 18h, meu cpf é 529.982.247-25",
      ]);
      const s = await ok200(await post(ctx, "summarize", a.token, { conversation_id: id }));
      assert.equal(s.intent, "sem_conexao");
      assert.equal(s.message_count, 2);
      assert.match(s.summary as string, /sem conexão/);
      assert.match(s.summary as string, /CPF/);

      // A canned answer of the tenant's own, tied to the intent, comes first, variables filled.
      const prompt = await body(
        await post(ctx, "prompts", a.token, {
          name: "Sem conexão",
          purpose: "suggest",
          intent: "sem_conexao",
          content:
            "{{contact.first_name}}, já estou verificando a sua conexão: {{conversation.last_message}}",
        }),
      );
      assert.ok(prompt.id, JSON.stringify(prompt));
      const g = await ok200(await post(ctx, "suggest-response", a.token, { conversation_id: id }));
      assert.equal(g.intent, "sem_conexao");
      const suggestions = g.suggestions as { text: string; source: string; prompt_id?: string }[];
      assert.equal(suggestions[0].source, "prompt");
      assert.equal(suggestions[0].prompt_id, prompt.id);
      assert.equal(
        suggestions[0].text,
        "Cliente, já estou verificando a sua conexão: to sem net desde as 18h, meu cpf é 529.982.247-25",
      );
      assert.equal(suggestions[1].source, "canned");
      assert.equal(suggestions.length, 3);
      const other = await ok200(
        await post(ctx, "suggest-response", a.token, {
          conversation_id: id,
          last_message: "quero a segunda via do boleto",
          count: 1,
        }),
      );
      assert.equal(other.intent, "segunda_via");
      assert.equal((other.suggestions as unknown[]).length, 1);
    });

    await t.step("chat answers as JSON, and as an event stream when asked", async () => {
      const j = await ok200(
        await post(ctx, "chat", a.token, { message: "quero cancelar", context: { plano: "300 Mega" } }),
      );
      assert.match(j.reply as string, /deixar/);
      assert.equal(j.conversation_id, null);
      const res = await post(ctx, "chat", a.token, {
        message: "qual o horario de atendimento?",
        stream: true,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const events = await sseEvents(res);
      const text = events.filter((e) => e.event === "delta").map((e) => e.data.text).join("");
      assert.match(text, /segunda a sexta/);
      assert.equal(events.at(-1)?.event, "done");
      assert.equal(events.at(-1)?.data.model, "offline");
    });

    await t.step("usage is counted per feature, with zero tokens offline", async () => {
      const rows = await ctx.services.database.db.select().from(aiUsage).where(
        eq(aiUsage.tenantId, a.tenantId),
      );
      const sentiment = rows.find((r) => r.feature === "sentiment")!;
      assert.equal(sentiment.requests, 1);
      assert.equal(sentiment.inputTokens, 0);
      const s = await ok200(await ctx.request("/api/v1/ai/settings", { token: a.token }));
      const byFeature = (s.usage as { by_feature: { feature: string; requests: number }[] }).by_feature;
      assert.equal(byFeature.find((f) => f.feature === "chat")?.requests, 2);
    });

    await t.step("a feature switched off, or the AI off, is 403 ai_disabled", async () => {
      const put = await ok200(
        await ctx.request("/api/v1/ai/settings", {
          method: "PUT",
          token: a.token,
          json: { features: { sentiment: false } },
        }),
      );
      assert.equal((put.features as Json).sentiment, false);
      assert.equal((put.features as Json).intent, true);
      const off = await post(ctx, "analyze-sentiment", a.token, { text: "oi" });
      const p = await body(off);
      assert.equal(off.status, 403);
      assert.equal(p.code, "ai_disabled");
      assert.equal(p.setting, "features.sentiment");
      await ok200(
        await ctx.request("/api/v1/ai/settings", { method: "PUT", token: a.token, json: { enabled: false } }),
      );
      const all = await post(ctx, "classify-intent", a.token, { message: "oi" });
      assert.equal(all.status, 403);
      assert.equal((await body(all)).setting, "enabled");
      await ok200(
        await ctx.request("/api/v1/ai/settings", {
          method: "PUT",
          token: a.token,
          json: { enabled: true, features: { sentiment: true } },
        }),
      );
    });

    await t.step("settings refuse a provider that could not run, and bad values", async () => {
      const noKey = await ctx.request("/api/v1/ai/settings", {
        method: "PUT",
        token: a.token,
        json: { provider: "openai" },
      });
      const p = await body(noKey);
      assert.equal(noKey.status, 422);
      assert.deepEqual((p.errors as Json[]).map((e) => e.path), ["body.api_key"]);
      for (
        const bad of [{ temperature: 3 }, { max_tokens: 0 }, { language: "fr" }, { provider: "gemini" }, {
          base_url: "ftp://x",
        }]
      ) {
        const res = await ctx.request("/api/v1/ai/settings", { method: "PUT", token: a.token, json: bad });
        assert.equal(res.status, 422, JSON.stringify(bad));
        await res.body?.cancel();
      }
    });

    await t.step("prompts: variables checked on save, names unique, tenant-scoped", async () => {
      const unknown = await post(ctx, "prompts", a.token, {
        name: "Errado",
        purpose: "chat",
        content: "Olá {{contato.nome}}, seu plano é {{erp.customer.plan}}",
      });
      const p = await body(unknown);
      assert.equal(unknown.status, 422);
      assert.match((p.errors as Json[])[0].message as string, /Unknown variable \{\{contato\.nome\}\}/);
      const unclosed = await post(ctx, "prompts", a.token, {
        name: "X",
        purpose: "chat",
        content: "Olá {{contact.name",
      });
      assert.equal(unclosed.status, 422);
      await unclosed.body?.cancel();
      const intentOnChat = await post(ctx, "prompts", a.token, {
        name: "Y",
        purpose: "chat",
        intent: "elogio",
        content: "Obrigado",
      });
      assert.equal(intentOnChat.status, 422);
      await intentOnChat.body?.cancel();

      const created = await body(
        await post(ctx, "prompts", a.token, {
          name: "Assistente",
          purpose: "chat",
          content: "Você atende {{contact.name}} da {{tenant.name}}; plano {{erp.customer.plan}}.",
        }),
      );
      assert.deepEqual(created.variables, ["contact.name", "tenant.name", "erp.customer.plan"]);
      const dup = await post(ctx, "prompts", a.token, {
        name: "assistente",
        purpose: "summarize",
        content: "x",
      });
      assert.equal(dup.status, 409);
      await dup.body?.cancel();
      const list = await ok200(await ctx.request("/api/v1/ai/prompts?purpose=chat", { token: a.token }));
      assert.deepEqual((list.data as Json[]).map((x) => x.name), ["Assistente"]);
      assert.equal((list.meta as Json).total, 1);
      const changed = await ok200(
        await ctx.request(`/api/v1/ai/prompts/${created.id}`, {
          method: "PUT",
          token: a.token,
          json: { content: "Seja breve.", is_active: false },
        }),
      );
      assert.deepEqual(changed.variables, []);
      assert.equal(changed.is_active, false);
      const del = await ctx.request(`/api/v1/ai/prompts/${created.id}`, { method: "DELETE", token: a.token });
      assert.equal(del.status, 204);
      const again = await ctx.request(`/api/v1/ai/prompts/${created.id}`, {
        method: "DELETE",
        token: a.token,
      });
      assert.equal(again.status, 404);
      await again.body?.cancel();
      const audited = await ctx.services.database.db.select().from(auditLog)
        .where(and(eq(auditLog.tenantId, a.tenantId), eq(auditLog.action, "ai.prompt.delete")));
      assert.equal(audited.length, 1);
    });

    await t.step("security: no token, missing permission, another tenant, malformed bodies", async () => {
      const none = await post(ctx, "classify-intent", undefined, { message: "oi" });
      assert.equal(none.status, 401);
      await none.body?.cancel();
      const viewer = await addUser(ctx, a.token, "viewer");
      const v = await post(ctx, "classify-intent", viewer.token, { message: "oi" });
      assert.equal(v.status, 403);
      await v.body?.cancel();
      const agent = await addUser(ctx, a.token, "agent");
      assert.equal((await post(ctx, "classify-intent", agent.token, { message: "oi" })).status, 200);
      const agentPut = await ctx.request("/api/v1/ai/settings", {
        method: "PUT",
        token: agent.token,
        json: { enabled: false },
      });
      assert.equal(agentPut.status, 403);
      await agentPut.body?.cancel();
      const useOnly = await createApiKey(ctx, a.token, ["use:ai"]);
      const keyPrompt = await post(ctx, "prompts", useOnly, { name: "k", purpose: "chat", content: "x" });
      assert.equal(keyPrompt.status, 403);
      await keyPrompt.body?.cancel();

      const b = await registerTenant(ctx, { tenantName: "Outro Provedor" });
      const theirs = await withConversation(ctx, b.token, ["minha internet caiu"]);
      for (const path of ["summarize", "suggest-response"]) {
        const res = await post(ctx, path, a.token, { conversation_id: theirs });
        const p = await body(res);
        assert.equal(res.status, 404, `${path}: ${JSON.stringify(p)}`);
        assert.equal(p.code, "not_found");
      }
      const chat = await post(ctx, "chat", a.token, { message: "oi", conversation_id: theirs });
      assert.equal(chat.status, 404);
      await chat.body?.cancel();

      const empty = await post(ctx, "classify-intent", a.token, { message: "" });
      assert.equal(empty.status, 422);
      await empty.body?.cancel();
      const notUuid = await post(ctx, "summarize", a.token, { conversation_id: "123" });
      assert.equal((await body(notUuid)).code, "validation_failed");
      const broken = await ctx.request("/api/v1/ai/analyze-sentiment", {
        method: "POST",
        token: a.token,
        headers: { "content-type": "application/json" },
        body: "{not json",
      });
      assert.equal(broken.status, 400);
      await broken.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("AI routes through an OpenAI-compatible model (the local stand-in)", async (t) => {
  const standin = new OpenAiStandin();
  await standin.start();
  const ctx = await createTestContext({
    env: {
      OPENAI_API_KEY: "sk-platform-key-0001",
      OPENAI_BASE_URL: standin.url,
      AI_MODEL: "gpt-4o-mini",
      AI_TIMEOUT_MS: "300",
    },
  });
  try {
    const a = await registerTenant(ctx);
    await setPlan(ctx, a.tenantId, "enterprise");

    await t.step("the platform's model is the default; its key never leaves for a tenant's URL", async () => {
      const s = await ok200(await ctx.request("/api/v1/ai/settings", { token: a.token }));
      assert.equal(s.provider, "openai");
      assert.equal(s.uses_platform_key, true);
      assert.equal(s.model, "gpt-4o-mini");
      const own = await ctx.request("/api/v1/ai/settings", {
        method: "PUT",
        token: a.token,
        json: { base_url: "https://llm.example.com/v1" },
      });
      assert.equal(own.status, 422);
      await own.body?.cancel();
    });

    await t.step("text is redacted before it leaves and restored in the answer", async () => {
      standin.reply({ content: JSON.stringify({ intent: "segunda_via", confidence: 0.9 }) });
      const i = await ok200(
        await post(ctx, "classify-intent", a.token, {
          message: "segunda via pro cpf 529.982.247-25, email maria@exemplo.com.br",
        }),
      );
      assert.equal(i.intent, "segunda_via");
      assert.equal(i.provider, "openai");
      const sent = standin.last.body;
      assert.equal(sent.model, "gpt-4o-mini");
      assert.equal(sent.response_format?.json_schema?.name, "intent");
      assert.equal(sent.messages.at(-1)?.content, "segunda via pro cpf [CPF_1], email [EMAIL_1]");
      assert.equal(standin.last.authorization, "Bearer sk-platform-key-0001");

      standin.reply({ content: "Certo! Enviei a segunda via para [EMAIL_1], vinculada ao CPF [CPF_1]." });
      const c = await ok200(
        await post(ctx, "chat", a.token, {
          message: "manda a fatura pro maria@exemplo.com.br, cpf 529.982.247-25",
          model: "gpt-4.1",
        }),
      );
      assert.equal(
        c.reply,
        "Certo! Enviei a segunda via para maria@exemplo.com.br, vinculada ao CPF 529.982.247-25.",
      );
      assert.equal(standin.last.body.model, "gpt-4.1");
      assert.ok(!JSON.stringify(standin.last.body).includes("529.982.247-25"));
      assert.ok((c.usage as Json).input_tokens as number > 0);
    });

    await t.step("streaming through the model, placeholders restored across pieces", async () => {
      standin.reply({ stream: ["Seu CPF ", "[CP", "F_1] está", " ok."] });
      const res = await post(ctx, "chat", a.token, { message: "meu cpf é 529.982.247-25", stream: true });
      assert.equal(res.status, 200);
      const events = await sseEvents(res);
      assert.equal(
        events.filter((e) => e.event === "delta").map((e) => e.data.text).join(""),
        "Seu CPF 529.982.247-25 está ok.",
      );
      const done = events.at(-1)!;
      assert.equal(done.event, "done");
      assert.ok(((done.data.usage as Json).output_tokens as number) > 0);
    });

    await t.step("entities, summary and suggestions come back typed", async () => {
      standin.reply({
        content: JSON.stringify({ entities: [{ type: "cpf", value: "[CPF_1]", text: "[CPF_1]" }] }),
      });
      const e = await ok200(await post(ctx, "extract-entities", a.token, { text: "cpf 529.982.247-25" }));
      assert.deepEqual((e.entities as Json[]).map((x) => [x.type, x.value, x.valid]), [[
        "cpf",
        "529.982.247-25",
        true,
      ]]);
      const id = await withConversation(ctx, a.token, ["minha internet caiu", "desde ontem"]);
      const s = await ok200(await post(ctx, "summarize", a.token, { conversation_id: id }));
      assert.equal(s.intent, "sem_conexao");
      assert.equal(standin.last.body.response_format?.json_schema?.name, "summary");
      assert.match(
        standin.last.body.messages.at(-1)!.content,
        /Cliente: minha internet caiu\nCliente: desde ontem/,
      );
      const g = await ok200(await post(ctx, "suggest-response", a.token, { conversation_id: id, count: 2 }));
      assert.deepEqual((g.suggestions as Json[]).map((x) => x.source), ["model", "model"]);
      const tr = await ok200(
        await post(ctx, "translate", a.token, { text: "Hello, how are you?", target_language: "pt" }),
      );
      assert.equal(tr.text, "Olá, como vai?");
    });

    await t.step(
      "the provider's failures: 429 with Retry-After, 504 on a hang, 502 on bad output",
      async () => {
        standin.reply({
          status: 429,
          error: { message: "Rate limit reached", type: "requests" },
          headers: { "retry-after": "9" },
        });
        const limited = await post(ctx, "analyze-sentiment", a.token, { text: "oi" });
        const p = await body(limited);
        assert.equal(limited.status, 429);
        assert.equal(p.code, "ai_rate_limited");
        assert.equal(limited.headers.get("retry-after"), "9");
        standin.reply({ hang: true });
        const slow = await post(ctx, "chat", a.token, { message: "oi" });
        assert.equal(slow.status, 504);
        assert.equal((await body(slow)).code, "ai_timeout");
        standin.reply({ content: '{"label": 1}' }, { content: "nope" });
        const bad = await post(ctx, "analyze-sentiment", a.token, { text: "oi" });
        const bp = await body(bad);
        assert.equal(bad.status, 502);
        assert.equal(bp.code, "ai_bad_output");
        assert.equal(bp.usage, undefined);
      },
    );

    await t.step("a tenant's own key and base URL: sealed, never shown, sent to that URL", async () => {
      const put = await ctx.request("/api/v1/ai/settings", {
        method: "PUT",
        token: a.token,
        json: {
          api_key: "sk-tenant-secret-abcdef",
          base_url: standin.url,
          model: "llama-3",
          temperature: 0.1,
        },
      });
      const text = await put.text();
      assert.equal(put.status, 200, text);
      assert.ok(!text.includes("sk-tenant-secret-abcdef"));
      const view = JSON.parse(text);
      assert.equal(view.api_key_set, true);
      assert.equal(view.api_key_hint, "sk-t…cdef");
      assert.equal(view.uses_platform_key, false);
      await ok200(await post(ctx, "analyze-sentiment", a.token, { text: "gostei" }));
      assert.equal(standin.last.authorization, "Bearer sk-tenant-secret-abcdef");
      assert.equal(standin.last.body.model, "llama-3");
      assert.equal(standin.last.body.temperature, 0.1);
    });

    await t.step("the monthly token budget: shown in settings, enforced once spent", async () => {
      const s = await ok200(await ctx.request("/api/v1/ai/settings", { token: a.token }));
      const spent = (s.usage as Json).total_tokens as number;
      assert.ok(spent > 0);
      const put = await ok200(
        await ctx.request("/api/v1/ai/settings", {
          method: "PUT",
          token: a.token,
          json: { monthly_token_budget: spent + 1 },
        }),
      );
      assert.equal((put.usage as Json).budget_remaining, 1);
      await ok200(await post(ctx, "analyze-sentiment", a.token, { text: "ok" })); // spends past the budget
      const calls = standin.requests.length;
      const over = await post(ctx, "classify-intent", a.token, { message: "oi" });
      const p = await body(over);
      assert.equal(over.status, 429);
      assert.equal(p.code, "quota_exceeded");
      assert.equal(p.limit, "ai_tokens");
      assert.equal(standin.requests.length, calls, "nothing was sent once the budget was spent");
      // Offline answers cost nothing and go on.
      await ok200(
        await ctx.request("/api/v1/ai/settings", {
          method: "PUT",
          token: a.token,
          json: { provider: "offline" },
        }),
      );
      await ok200(await post(ctx, "classify-intent", a.token, { message: "oi" }));
    });
  } finally {
    await ctx.close();
    await standin.stop();
  }
});
