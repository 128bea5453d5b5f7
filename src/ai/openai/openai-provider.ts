import OpenAI from "openai";
import { fail, ok, type Result } from "../../core/result.ts";
import type { Failure } from "../../http/problem.ts";
import type {
  AiOutcome,
  AiProvider,
  ChatMessage,
  ModelOptions,
  StreamPart,
  Suggestion,
  TranscriptLine,
  Usage,
} from "../ai-port.ts";
import { checkEntity } from "../entity-check.ts";
import type { Entity } from "../offline/entities.ts";
import { TemplateDraftSchema, validateTemplate } from "../template-rules.ts";
import {
  entitiesTask,
  intentTask,
  sentimentTask,
  suggestTask,
  summaryTask,
  type Task,
  templateTask,
  translateTask,
} from "./task-schemas.ts";

/**
 * The model adapter: the official `openai` SDK against any OpenAI-compatible base URL (OpenAI,
 * Azure's compatible endpoint, a local server). Tasks with a typed answer use structured outputs
 * (a JSON schema per task, `task-schemas.ts`) and are checked on arrival; an answer that does not
 * parse or check is asked for once more, with the reason, and then fails as `ai_bad_output`.
 * The SDK's own retries are off (`maxRetries: 0`): a 429 goes back to the caller at once with
 * the provider's `Retry-After`, and a timeout is a 504, so nothing hides behind minutes of waiting.
 */

export interface OpenAiConnection {
  apiKey: string;
  baseUrl?: string;
  /** `guardedFetch` for a base URL a tenant typed; the runtime's fetch for the platform's own. */
  fetch: typeof fetch;
  timeoutMs: number;
}

const LANGUAGE_NAMES: Record<string, string> = {
  "pt-BR": "Brazilian Portuguese",
  en: "English",
  es: "Spanish",
};

const languageLine = (o: ModelOptions) =>
  `Write any free text in ${LANGUAGE_NAMES[o.language] ?? o.language}.`;

const addUsage = (a: Usage, u: OpenAI.CompletionUsage | undefined): Usage => ({
  inputTokens: a.inputTokens + (u?.prompt_tokens ?? 0),
  outputTokens: a.outputTokens + (u?.completion_tokens ?? 0),
});

/** The provider's failures as our problems; never a 500. */
export function providerFailure(err: unknown): Failure {
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return { code: "ai_timeout", detail: "The AI provider did not answer in time" };
  }
  if (err instanceof OpenAI.RateLimitError) {
    const h = err.headers;
    const seconds = h?.get("retry-after") ??
      (h?.get("retry-after-ms") ? String(Math.ceil(Number(h.get("retry-after-ms")) / 1000)) : undefined);
    const retryAfter = seconds && /^\d+$/.test(seconds) ? seconds : "20";
    return {
      code: "ai_rate_limited",
      detail: `The AI provider is rate limiting requests: ${err.message}`.slice(0, 300),
      headers: { "Retry-After": retryAfter },
      extensions: { retry_after: Number(retryAfter) },
    };
  }
  if (err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError) {
    return {
      code: "ai_provider_error",
      detail: "The AI provider refused the API key; check api_key in the AI settings",
      extensions: { provider_status: err.status },
    };
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return {
      code: "ai_provider_error",
      detail: `Could not reach the AI provider: ${(err.cause as Error | undefined)?.message ?? err.message}`
        .slice(0, 300),
    };
  }
  if (err instanceof OpenAI.APIError) {
    return {
      code: "ai_provider_error",
      detail: `The AI provider answered ${err.status ?? "an error"}: ${err.message}`.slice(0, 300),
      extensions: { provider_status: err.status ?? null },
    };
  }
  throw err;
}

function transcriptText(lines: TranscriptLine[]): string {
  const who = { customer: "Cliente", agent: "Atendente", bot: "Bot" };
  return lines.map((l) => `${who[l.role]}: ${l.text}`).join("\n");
}

export class OpenAiProvider implements AiProvider {
  readonly kind = "openai" as const;
  #client: OpenAI;

  constructor(connection: OpenAiConnection) {
    this.#client = new OpenAI({
      apiKey: connection.apiKey,
      baseURL: connection.baseUrl,
      fetch: connection.fetch,
      maxRetries: 0,
      timeout: connection.timeoutMs,
    });
  }

  /**
   * One structured task: system instructions, the user's content, the task's schema; the answer
   * parsed and checked (`check` may add rules of its own), asked again once when it fails.
   */
  async #structured<T, R = T>(
    task: Task<T>,
    content: string,
    o: ModelOptions & { instructions?: string },
    check: (value: T) => { ok: true; value: R } | { ok: false; reason: string } = (v) => ({
      ok: true,
      value: v as unknown as R,
    }),
  ): Promise<AiOutcome<R>> {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      {
        role: "system",
        content: [task.instructions, o.instructions, languageLine(o)].filter(Boolean).join("\n\n"),
      },
      { role: "user", content },
    ];
    let usage: Usage = { inputTokens: 0, outputTokens: 0 };
    let model = o.model;
    let reason = "";
    for (let attempt = 0; attempt < 2; attempt++) {
      let completion: OpenAI.ChatCompletion;
      try {
        completion = await this.#client.chat.completions.create({
          model: o.model,
          messages,
          temperature: o.temperature,
          max_tokens: o.maxTokens,
          response_format: {
            type: "json_schema",
            json_schema: { name: task.name, schema: task.schema, strict: task.strict ?? true },
          },
        });
      } catch (err) {
        // Tokens already spent on a first attempt still count (ai-service.ts records them).
        const f = providerFailure(err);
        return { ok: false, failure: { ...f, extensions: { ...f.extensions, usage } } };
      }
      usage = addUsage(usage, completion.usage);
      model = completion.model || model;
      const text = completion.choices[0]?.message?.content ?? "";
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
        reason = "the answer was not JSON";
      }
      if (parsed !== undefined) {
        const shaped = task.parse.safeParse(parsed);
        if (!shaped.success) {
          reason = shaped.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "answer"}: ${i.message}`)
            .join("; ");
        } else {
          const checked = check(shaped.data);
          if (checked.ok) return ok({ value: checked.value, usage, model });
          reason = checked.reason;
        }
      }
      messages.push(
        { role: "assistant", content: text.slice(0, 4000) },
        {
          role: "user",
          content: `That answer is invalid (${reason}). Answer again, following the JSON schema exactly.`,
        },
      );
    }
    return fail(
      "ai_bad_output",
      `The model's answer did not match the task's schema twice: ${reason}`.slice(0, 500),
      {
        extensions: { usage },
      },
    );
  }

  sentiment(text: string, o: ModelOptions) {
    return this.#structured(sentimentTask, text, o, (v) => ({
      ok: true,
      value: { label: v.label, score: Math.round(v.score * 100) / 100, cues: [] },
    }));
  }

  intent(text: string, o: ModelOptions) {
    return this.#structured(intentTask, text, o, (v) => ({
      ok: true,
      value: { intent: v.intent, confidence: Math.round(v.confidence * 100) / 100, alternatives: [] },
    }));
  }

  /** The model finds entities; we check them: documents by check digits, phones to E.164. */
  entities(text: string, o: ModelOptions & { now: Date; timeZone: string }) {
    return this.#structured(
      entitiesTask,
      `Today is ${o.now.toISOString().slice(0, 10)} (${o.timeZone}).\n\n${text}`,
      o,
      (v) => {
        const out = v.entities.map((e) => checkEntity(e, text)).filter((e): e is Entity => e !== null);
        return { ok: true, value: out.sort((a, b) => a.start - b.start) };
      },
    );
  }

  summarize(lines: TranscriptLine[], o: ModelOptions & { instructions?: string }) {
    return this.#structured(summaryTask, transcriptText(lines), o);
  }

  async suggest(input: Parameters<AiProvider["suggest"]>[0], o: ModelOptions & { instructions?: string }) {
    const canned = input.prompts.length
      ? `\n\nThe company's own answers, to prefer when they fit:\n${
        input.prompts.map((p) => `- ${p.text}`).join("\n")
      }`
      : "";
    const r = await this.#structured(
      suggestTask,
      `${
        transcriptText(input.lines)
      }\n\nLast customer message: ${input.lastMessage}\n\nGive ${input.count} suggestions.${canned}`,
      o,
    );
    if (!r.ok) return r;
    const value: Suggestion[] = r.value.value.suggestions.slice(0, input.count).map((text) => ({
      text,
      source: "model",
    }));
    return ok({ ...r.value, value });
  }

  async chat(messages: ChatMessage[], o: ModelOptions): Promise<AiOutcome<string>> {
    try {
      const c = await this.#client.chat.completions.create({
        model: o.model,
        messages: [{ role: "system", content: languageLine(o) }, ...messages],
        temperature: o.temperature,
        max_tokens: o.maxTokens,
      });
      const text = c.choices[0]?.message?.content;
      if (!text) return fail("ai_bad_output", "The model answered nothing");
      return ok({
        value: text,
        usage: addUsage({ inputTokens: 0, outputTokens: 0 }, c.usage),
        model: c.model || o.model,
      });
    } catch (err) {
      return { ok: false, failure: providerFailure(err) };
    }
  }

  async chatStream(messages: ChatMessage[], o: ModelOptions): Promise<Result<AsyncIterable<StreamPart>>> {
    let stream: AsyncIterable<OpenAI.ChatCompletionChunk>;
    try {
      stream = await this.#client.chat.completions.create({
        model: o.model,
        messages: [{ role: "system", content: languageLine(o) }, ...messages],
        temperature: o.temperature,
        max_tokens: o.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      });
    } catch (err) {
      return { ok: false, failure: providerFailure(err) };
    }
    async function* parts(): AsyncIterable<StreamPart> {
      let usage: Usage = { inputTokens: 0, outputTokens: 0 };
      let model = o.model;
      for await (const chunk of stream) {
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = addUsage(usage, chunk.usage);
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) yield { type: "delta", text: delta };
      }
      yield { type: "done", usage, model };
    }
    return ok(parts());
  }

  translate(text: string, target: string, o: ModelOptions) {
    return this.#structured(translateTask, `Target language: ${target}\n\n${text}`, o, (v) => ({
      ok: true,
      value: { text: v.text, source_language: v.source_language, target_language: target },
    }));
  }

  draftTemplate(
    input: Parameters<AiProvider["draftTemplate"]>[0],
    o: ModelOptions & { instructions?: string },
  ) {
    return this.#structured(templateTask, JSON.stringify(input), o, (v) => {
      const shaped = TemplateDraftSchema.safeParse(v);
      if (!shaped.success) {
        return {
          ok: false,
          reason: shaped.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
        };
      }
      const errors = validateTemplate(shaped.data);
      if (errors.length) {
        return {
          ok: false,
          reason: errors.map((e) => `${e.path}: ${e.message}`).join("; "),
        };
      }
      return { ok: true, value: shaped.data };
    });
  }
}
