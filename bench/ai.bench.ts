import { classifyIntent, intents } from "../src/ai/offline/intents.ts";
import { tokenize } from "../src/ai/offline/normalize.ts";
import { analyzeSentiment } from "../src/ai/offline/sentiment.ts";
import { OpenAiProvider } from "../src/ai/openai/openai-provider.ts";
import { evaluate, loadLabelled } from "../tests/support/labelled-messages.ts";
import { OpenAiStandin } from "../tests/support/openai-standin.ts";
import { inProcessApp, timeCalls } from "./in-process-app.ts";
import type { BenchReport } from "./lib.ts";

/**
 * The AI: the offline heuristics' accuracy on the labelled customer messages (the tuning part
 * and the held-out part, reported apart) and their speed against only reading the messages
 * (the normaliser's tokens); then a route through the local OpenAI stand-in against the same
 * chat-completions request sent to the stand-in directly, in the same process and run.
 */
export async function aiBench(opts: { quick: boolean }): Promise<BenchReport[]> {
  const tune = loadLabelled("tune");
  const holdout = loadLabelled("holdout");
  const all = [...tune, ...holdout];
  const et = evaluate(tune);
  const eh = evaluate(holdout);
  const ea = evaluate(all);
  const pct = (n: number, d: number) => (n / d).toFixed(3);

  // Throughput: every message classified (intent and sentiment) against tokenising it only.
  const rounds = opts.quick ? 20 : 200;
  const rate = (fn: (t: string) => unknown) => {
    for (const m of all) fn(m.text); // warm up
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const m of all) fn(m.text);
    return (rounds * all.length) / ((performance.now() - t0) / 1000);
  };
  const baseline = rate((t) => tokenize(t));
  const candidate = rate((t) => {
    classifyIntent(t);
    analyzeSentiment(t);
  });

  const accuracy: BenchReport = {
    title: "AI: offline intent and sentiment on labelled customer messages",
    method:
      `${all.length} WhatsApp messages of Brazilian ISP customers written for this (tests/fixtures/ai-messages.*.tsv: typos, shorthand, no accents, emojis, mixed intents), labelled with intent and sentiment by hand before the heuristics existed; ${tune.length} were looked at while tuning the cues, ${holdout.length} held out and only scored. Speed: every message classified (intent and sentiment) ${rounds} times, against only normalising it into tokens (the least any classifier must do), in one process.`,
    rows: [
      {
        metric: "intent accuracy, held-out part",
        baseline: String(eh.total),
        candidate: String(eh.intentCorrect),
        ratio: pct(eh.intentCorrect, eh.total),
        target: "≥ 0.85",
        verdict: eh.intentCorrect / eh.total >= 0.85 ? "met" : "missed",
      },
      {
        metric: "sentiment accuracy, held-out part",
        baseline: String(eh.total),
        candidate: String(eh.sentimentCorrect),
        ratio: pct(eh.sentimentCorrect, eh.total),
        target: "≥ 0.80",
        verdict: eh.sentimentCorrect / eh.total >= 0.80 ? "met" : "missed",
      },
      {
        metric: "intent accuracy, tuning part",
        baseline: String(et.total),
        candidate: String(et.intentCorrect),
        ratio: pct(et.intentCorrect, et.total),
      },
      {
        metric: "sentiment accuracy, tuning part",
        baseline: String(et.total),
        candidate: String(et.sentimentCorrect),
        ratio: pct(et.sentimentCorrect, et.total),
      },
      {
        metric: "intent accuracy, all",
        baseline: String(ea.total),
        candidate: String(ea.intentCorrect),
        ratio: pct(ea.intentCorrect, ea.total),
        target: "≥ 0.85",
        verdict: ea.intentCorrect / ea.total >= 0.85 ? "met" : "missed",
      },
      {
        metric: "sentiment accuracy, all",
        baseline: String(ea.total),
        candidate: String(ea.sentimentCorrect),
        ratio: pct(ea.sentimentCorrect, ea.total),
        target: "≥ 0.80",
        verdict: ea.sentimentCorrect / ea.total >= 0.80 ? "met" : "missed",
      },
      {
        metric: "messages/s (intent + sentiment vs tokens only)",
        baseline: baseline.toFixed(0),
        candidate: candidate.toFixed(0),
        ratio: (candidate / baseline).toFixed(2),
      },
    ],
    notes: [
      "Baseline/candidate columns of the accuracy rows: messages labelled / labelled correctly.",
      "The held-out figures are the honest ones: the tuning part's are optimistic by construction.",
    ],
  };

  const confusion: BenchReport = {
    title: "AI: offline intent confusion (all labelled messages)",
    method:
      "Per intent: how many messages carry that label, how many the offline classifier labelled so (recall), and what it said instead.",
    rows: intents.map((intent) => {
      const row = ea.confusion[intent] ?? {};
      const n = Object.values(row).reduce((a, b) => a + b, 0);
      const wrong = Object.entries(row).filter(([k]) => k !== intent).sort((a, b) => b[1] - a[1]);
      const predicted = Object.values(ea.confusion).reduce((a, r) => a + (r[intent] ?? 0), 0);
      return {
        metric: intent,
        baseline: String(n),
        candidate: String(row[intent] ?? 0),
        ratio: n ? ((row[intent] ?? 0) / n).toFixed(2) : "n/a",
        target: `precision ${predicted ? ((row[intent] ?? 0) / predicted).toFixed(2) : "n/a"}`,
        verdict: wrong.length ? `→ ${wrong.map(([k, v]) => `${k} ${v}`).join(", ")}` : "",
      };
    }),
  };

  // A route through the stand-in against the stand-in called directly.
  const standin = new OpenAiStandin();
  await standin.start();
  const { call, register } = await inProcessApp({
    OPENAI_API_KEY: "sk-bench",
    OPENAI_BASE_URL: standin.url,
    AI_MODEL: "gpt-4o-mini",
  });
  const { token } = await register("ai@example.com");
  const message = "boa noite, minha net caiu de novo e meu cpf é 529.982.247-25";
  const iterations = opts.quick ? 100 : 1500;
  const direct = await timeCalls(iterations, async () => {
    const res = await fetch(`${standin.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "system", content: "Classify." }, { role: "user", content: message }],
        response_format: { type: "json_schema", json_schema: { name: "intent", schema: {}, strict: true } },
      }),
    });
    await res.json();
  });
  const provider = new OpenAiProvider({ apiKey: "sk-bench", baseUrl: standin.url, fetch, timeoutMs: 30_000 });
  const options = { model: "gpt-4o-mini", temperature: 0.3, maxTokens: 512, language: "pt-BR" as const };
  const sdk = await timeCalls(iterations, async () => {
    const r = await provider.intent(message, options);
    if (!r.ok) throw new Error(r.failure.detail);
  });
  const routed = await timeCalls(iterations, async () => {
    const res = await call("/api/v1/ai/classify-intent", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ message }),
    });
    if (res.status !== 200) throw new Error(`classify-intent: ${res.status} ${await res.text()}`);
    await res.json();
  });
  // The same route for a tenant on the offline provider: the stack, the settings read and the
  // usage upsert without the model call.
  const offline = await register("ai-offline@example.com");
  await call("/api/v1/ai/settings", {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${offline.token}` },
    body: JSON.stringify({ provider: "offline" }),
  });
  const local = await timeCalls(iterations, async () => {
    const res = await call("/api/v1/ai/classify-intent", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${offline.token}` },
      body: JSON.stringify({ message }),
    });
    await res.json();
  });
  standin.requests.length = 0;
  await standin.stop();
  const ms = (x: number) => x.toFixed(2);
  const route: BenchReport = {
    title: "AI: a route through the OpenAI stand-in",
    method:
      `POST /api/v1/ai/classify-intent on the whole app in this process (authentication, settings and month usage in one statement, PII redaction, the openai SDK, the structured answer checked, the usage upsert) against the same chat-completions request sent with fetch straight to the stand-in on loopback; ${iterations} sequential calls each, p50/p99 in ms, embedded PGlite.`,
    rows: [
      {
        metric: "p50 (ms)",
        baseline: ms(direct.p50),
        candidate: ms(routed.p50),
        ratio: (routed.p50 / direct.p50).toFixed(2),
      },
      {
        metric: "p99 (ms)",
        baseline: ms(direct.p99),
        candidate: ms(routed.p99),
        ratio: (routed.p99 / direct.p99).toFixed(2),
      },
      {
        metric: "the SDK call alone (adapter, schema check), p50 (ms)",
        baseline: ms(direct.p50),
        candidate: ms(sdk.p50),
        ratio: (sdk.p50 / direct.p50).toFixed(2),
      },
      {
        metric: "the route on the offline provider, p50 (ms)",
        baseline: ms(direct.p50),
        candidate: ms(local.p50),
        ratio: (local.p50 / direct.p50).toFixed(2),
      },
      {
        metric: "our cost per call, p50 (ms)",
        baseline: "0",
        candidate: ms(routed.p50 - direct.p50),
        ratio: "n/a",
        target: "small against a real model's 300–1500 ms",
      },
    ],
    notes: [
      "Against a real model the provider's own latency (hundreds of ms) dwarfs both columns; the difference is what the route adds.",
      "Where the route's time goes: the HTTP stack and authentication, the settings-and-usage statement and the usage upsert on the single PGlite connection (the offline row), then the SDK (its row) and redaction (libphonenumber scanning the text for phones). On Neon that is two round trips per call: the settings read and the usage write.",
    ],
  };
  return [accuracy, confusion, route];
}
