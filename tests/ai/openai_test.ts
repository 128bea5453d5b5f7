import { strict as assert } from "node:assert";
import type { StreamPart } from "../../src/ai/ai-port.ts";
import { OpenAiProvider } from "../../src/ai/openai/openai-provider.ts";
import { OpenAiStandin } from "../support/openai-standin.ts";

const o = { model: "gpt-4o-mini", temperature: 0.2, maxTokens: 200, language: "pt-BR" as const };

async function withStandin(fn: (s: OpenAiStandin, p: OpenAiProvider) => Promise<void>, timeoutMs = 2000) {
  const standin = new OpenAiStandin();
  await standin.start();
  try {
    await fn(standin, new OpenAiProvider({ apiKey: "sk-test-123", baseUrl: standin.url, fetch, timeoutMs }));
  } finally {
    await standin.stop();
  }
}

Deno.test("structured outputs: the task's JSON schema is sent and the answer typed", async () => {
  await withStandin(async (standin, p) => {
    const r = await p.sentiment("Estou muito satisfeito", o);
    assert.ok(r.ok);
    assert.deepEqual(r.value.value, { label: "positive", score: 0.8, cues: [] });
    assert.ok(r.value.usage.inputTokens > 0 && r.value.usage.outputTokens > 0);
    const sent = standin.last;
    assert.equal(sent.authorization, "Bearer sk-test-123");
    assert.equal(sent.body.model, "gpt-4o-mini");
    assert.equal(sent.body.temperature, 0.2);
    assert.equal(sent.body.max_tokens, 200);
    assert.equal(sent.body.response_format?.type, "json_schema");
    assert.equal(sent.body.response_format?.json_schema?.name, "sentiment");
    assert.equal(sent.body.response_format?.json_schema?.strict, true);
    assert.deepEqual((sent.body.response_format?.json_schema?.schema as { required: string[] }).required, [
      "label",
      "score",
    ]);
    assert.equal(sent.body.messages.at(-1)?.content, "Estou muito satisfeito");
  });
});

Deno.test("a malformed answer is asked for again once, then fails as ai_bad_output", async () => {
  await withStandin(async (standin, p) => {
    standin.reply({ content: "not json at all" }, {
      content: JSON.stringify({ intent: "cancelamento", confidence: 0.9 }),
    });
    const fixed = await p.intent("quero cancelar", o);
    assert.ok(fixed.ok);
    assert.equal(fixed.value.value.intent, "cancelamento");
    assert.equal(standin.requests.length, 2);
    assert.match(standin.last.body.messages.at(-1)!.content, /invalid \(the answer was not JSON\)/);

    standin.reply({ content: JSON.stringify({ intent: "pizza", confidence: 2 }) }, { content: "{}" });
    const bad = await p.intent("quero cancelar", o);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.failure.code, "ai_bad_output");
      assert.ok((bad.failure.extensions?.usage as { inputTokens: number }).inputTokens > 0);
    }
    assert.equal(standin.requests.length, 4);
  });
});

Deno.test("entities from the model are checked: CPF check digits, phones to E.164", async () => {
  await withStandin(async (standin, p) => {
    standin.reply({
      content: JSON.stringify({
        entities: [
          { type: "cpf", value: "52998224725", text: "529.982.247-25" },
          { type: "cpf", value: "12345678900", text: "123.456.789-00" },
          { type: "phone", value: "11 98765-4321", text: "11 98765-4321" },
          { type: "phone", value: "123", text: "123" },
          { type: "email", value: "not-an-email", text: "x" },
        ],
      }),
    });
    const text = "cpf 529.982.247-25 ou 123.456.789-00, fone 11 98765-4321 ou 123";
    const r = await p.entities(text, { ...o, now: new Date(), timeZone: "America/Sao_Paulo" });
    assert.ok(r.ok);
    assert.deepEqual(r.value.value.map((e) => [e.type, e.value, e.valid]), [
      ["cpf", "529.982.247-25", true],
      ["cpf", "123.456.789-00", false],
      ["phone", "+5511987654321", true],
    ]);
    assert.equal(r.value.value[0].start, 4);
  });
});

Deno.test("provider failures are problems: 429 with Retry-After, timeouts, a wrong key", async () => {
  await withStandin(async (standin, p) => {
    standin.reply({
      status: 429,
      error: { message: "Rate limit reached for gpt-4o-mini", type: "requests", code: "rate_limit_exceeded" },
      headers: { "retry-after": "7" },
    });
    const limited = await p.chat([{ role: "user", content: "oi" }], o);
    assert.equal(limited.ok, false);
    if (!limited.ok) {
      assert.equal(limited.failure.code, "ai_rate_limited");
      assert.equal(limited.failure.headers?.["Retry-After"], "7");
    }
    standin.reply({
      status: 401,
      error: { message: "Incorrect API key provided", type: "invalid_request_error" },
    });
    const refused = await p.sentiment("oi", o);
    assert.ok(!refused.ok && refused.failure.code === "ai_provider_error");
    standin.reply({ status: 500, error: { message: "boom", type: "server_error" } });
    const broken = await p.chat([{ role: "user", content: "oi" }], o);
    assert.ok(!broken.ok && broken.failure.code === "ai_provider_error");
    standin.reply({ hang: true });
    const slow = await p.chat([{ role: "user", content: "oi" }], o);
    assert.ok(!slow.ok && slow.failure.code === "ai_timeout", JSON.stringify(slow));
  }, 300);
});

Deno.test("streaming: SSE chunks become deltas and the usage arrives last", async () => {
  await withStandin(async (standin, p) => {
    standin.reply({ stream: ["Olá", ", tudo", " bem?"] });
    const r = await p.chatStream([{ role: "user", content: "oi" }], o);
    assert.ok(r.ok);
    const parts: StreamPart[] = [];
    for await (const part of r.value) parts.push(part);
    assert.deepEqual(parts.filter((x) => x.type === "delta").map((x) => (x as { text: string }).text), [
      "Olá",
      ", tudo",
      " bem?",
    ]);
    const done = parts.at(-1)!;
    assert.equal(done.type, "done");
    if (done.type === "done") assert.ok(done.usage.outputTokens > 0);
    assert.equal(standin.last.body.stream, true);
    assert.equal(standin.last.body.stream_options?.include_usage, true);
  });
});

Deno.test("template drafts from the model are validated; a broken one is retried with the reasons", async () => {
  await withStandin(async (standin, p) => {
    const good = {
      name: "boas_vindas",
      language: "pt_BR",
      category: "UTILITY",
      components: [{
        type: "BODY",
        text: "Olá, {{1}}! Bem-vindo à Fibra.",
        example: { body_text: [["Maria"]] },
      }],
    };
    standin.reply(
      { content: JSON.stringify({ ...good, components: [{ type: "BODY", text: "{{1}} bem-vindo" }] }) },
      { content: JSON.stringify(good) },
    );
    const r = await p.draftTemplate({ purpose: "welcome_message", tone: "formal", language: "pt_BR" }, o);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.value.name, "boas_vindas");
    assert.match(standin.last.body.messages.at(-1)!.content, /may not open or close/);
  });
});
