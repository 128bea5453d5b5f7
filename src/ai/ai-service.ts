import { fail, ok, type Result } from "../core/result.ts";
import { guardedFetcher } from "../platform/http/guarded-fetch.ts";
import type { Services } from "../services.ts";
import type {
  AiFeature,
  AiOutcome,
  AiProvider,
  Answer,
  ChatMessage,
  ModelOptions,
  StreamPart,
  SuggestInput,
  TranscriptLine,
  Usage,
} from "./ai-port.ts";
import {
  type MonthUsage,
  monthUsageOf,
  resolveAiSettings,
  type ResolvedAiSettings,
  settingsAndUsage,
  type SettingsAndUsageRow,
} from "./ai-settings.ts";
import { checkEntity } from "./entity-check.ts";
import type { Entity } from "./offline/entities.ts";
import { offlineProvider } from "./offline/offline-provider.ts";
import { OpenAiProvider } from "./openai/openai-provider.ts";
import { Redactor } from "./redaction.ts";
import { recordUsage } from "./usage.ts";
import type { TemplateRequest } from "./template-rules.ts";

/**
 * The AI of one tenant, for routes and for the flows engine alike (a bot step calls it outside
 * any HTTP request):
 *
 *   const ai = await aiFor(services, tenantId);          // settings + month usage: 1 statement
 *   const r = await ai.classifyIntent("net caiu");       // Result<Answer<IntentResult>>
 *   if (r.ok) route(r.value.value.intent);               // else r.failure: code + detail
 *
 * Every call honours the tenant's settings (enabled, the feature switched on, provider, model,
 * temperature, max tokens, language), refuses once the monthly token budget is spent
 * (`quota_exceeded`), redacts CPF/CNPJ/cards/e-mails/phones before text leaves for a model and
 * puts them back in the answer, and records its usage (tokens in and out per feature and day).
 * Expected failures come back as values (`ai_disabled`, `quota_exceeded`, `ai_unavailable`,
 * `ai_rate_limited`, `ai_timeout`, `ai_bad_output`, `ai_provider_error`), never thrown.
 * `answerWithPrompt` renders one of the tenant's prompts with the call's variables and asks the
 * model (or, offline, answers from the canned answers).
 */
export class TenantAi {
  constructor(
    private readonly s: Services,
    readonly tenantId: string,
    readonly settings: ResolvedAiSettings,
    readonly usage: MonthUsage,
    private readonly provider: Result<AiProvider>,
  ) {}

  get providerKind(): "offline" | "openai" {
    return this.settings.provider;
  }

  /** Model options of a call: the settings, with a per-call model where the caller names one. */
  options(model?: string): ModelOptions {
    const s = this.settings;
    return {
      model: this.settings.provider === "offline" ? "offline" : (model ?? s.model),
      temperature: s.temperature,
      maxTokens: s.maxTokens,
      language: s.language,
    };
  }

  /** Why a call of this feature may not happen now, or null. */
  refusal(feature: AiFeature): Result<never> | null {
    const st = this.settings;
    if (!st.enabled) {
      return fail("ai_disabled", "The AI is switched off for this tenant", {
        extensions: { setting: "enabled" },
      });
    }
    if (!st.features[feature]) {
      return fail("ai_disabled", `The AI feature "${feature}" is switched off for this tenant`, {
        extensions: { setting: `features.${feature}` },
      });
    }
    // The budget counts model tokens; the offline heuristics spend none.
    const spent = this.usage.inputTokens + this.usage.outputTokens;
    if (st.provider === "openai" && st.monthlyTokenBudget !== null && spent >= st.monthlyTokenBudget) {
      return fail("quota_exceeded", `This month's AI budget of ${st.monthlyTokenBudget} tokens is spent`, {
        extensions: {
          limit: "ai_tokens",
          max: st.monthlyTokenBudget,
          used: spent,
          period: this.usage.period,
        },
      });
    }
    if (!this.provider.ok) return this.provider as Result<never>;
    return null;
  }

  /** A redactor when text is about to leave for a model and the tenant wants PII kept home. */
  #redactor(): Redactor | null {
    return this.settings.provider === "openai" && this.settings.redactPii ? new Redactor() : null;
  }

  async #account<T>(
    feature: AiFeature,
    outcome: AiOutcome<T>,
    redactor: Redactor | null,
  ): Promise<AiOutcome<T>> {
    let usage: Usage | undefined;
    if (outcome.ok) usage = outcome.value.usage;
    else {
      // Tokens spent before a failure (a first attempt, a bad answer) still count.
      const ext = { ...outcome.failure.extensions };
      usage = ext.usage as Usage | undefined;
      delete ext.usage;
      outcome = { ok: false, failure: { ...outcome.failure, extensions: ext } };
    }
    if (outcome.ok || (usage && usage.inputTokens + usage.outputTokens > 0)) {
      await recordUsage(this.s, this.tenantId, feature, usage ?? { inputTokens: 0, outputTokens: 0 });
    }
    if (outcome.ok && redactor) {
      outcome = ok({ ...outcome.value, value: redactor.restoreDeep(outcome.value.value) });
    }
    return outcome;
  }

  async #run<T>(
    feature: AiFeature,
    call: (p: AiProvider, redact: (text: string) => string) => Promise<AiOutcome<T>>,
  ): Promise<AiOutcome<T>> {
    const refused = this.refusal(feature);
    if (refused) return refused;
    const redactor = this.#redactor();
    const outcome = await call(
      (this.provider as { value: AiProvider }).value,
      (t) => redactor ? redactor.redact(t) : t,
    );
    return await this.#account(feature, outcome, redactor);
  }

  sentiment(text: string) {
    return this.#run("sentiment", (p, r) => p.sentiment(r(text), this.options()));
  }

  classifyIntent(text: string) {
    return this.#run("intent", (p, r) => p.intent(r(text), this.options()));
  }

  /**
   * Entities of a text. With redaction the model sees placeholders; the values are put back and
   * checked again (check digits, E.164) against the original text.
   */
  async entities(text: string, opts: { timeZone?: string } = {}) {
    const r = await this.#run("entities", (p, r) =>
      p.entities(r(text), {
        ...this.options(),
        now: this.s.clock.now(),
        timeZone: opts.timeZone ?? "America/Sao_Paulo",
      }));
    if (!r.ok || this.settings.provider === "offline") return r;
    const value = r.value.value.map((e) => checkEntity(e, text)).filter((e): e is Entity => e !== null);
    return ok({ ...r.value, value });
  }

  summarize(lines: TranscriptLine[], instructions?: string) {
    return this.#run(
      "summarize",
      (p, r) =>
        p.summarize(lines.map((l) => ({ ...l, text: r(l.text) })), { ...this.options(), instructions }),
    );
  }

  suggest(input: SuggestInput, instructions?: string) {
    return this.#run("suggest", (p, r) =>
      p.suggest({
        ...input,
        lastMessage: r(input.lastMessage),
        lines: input.lines.map((l) => ({ ...l, text: r(l.text) })),
      }, { ...this.options(), instructions }));
  }

  chat(messages: ChatMessage[], model?: string) {
    return this.#run(
      "chat",
      (p, r) => p.chat(messages.map((m) => ({ ...m, content: r(m.content) })), this.options(model)),
    );
  }

  /**
   * A streamed chat answer. Placeholders are put back as the text streams (a placeholder split
   * across two pieces is held until it closes); usage is recorded when the stream ends.
   */
  async chatStream(messages: ChatMessage[], model?: string): Promise<Result<AsyncIterable<StreamPart>>> {
    const refused = this.refusal("chat");
    if (refused) return refused;
    const redactor = this.#redactor();
    const provider = (this.provider as { value: AiProvider }).value;
    const started = await provider.chatStream(
      messages.map((m) => ({ ...m, content: redactor ? redactor.redact(m.content) : m.content })),
      this.options(model),
    );
    if (!started.ok) return started;
    const source = started.value;
    const record = (usage: Usage) => recordUsage(this.s, this.tenantId, "chat", usage);
    async function* restored(): AsyncIterable<StreamPart> {
      let held = "";
      const release = (final: boolean): string => {
        const open = held.lastIndexOf("[");
        const cut = !final && open >= 0 && !held.slice(open).includes("]") && held.length - open < 20
          ? open
          : held.length;
        const out = held.slice(0, cut);
        held = held.slice(cut);
        return redactor ? redactor.restore(out) : out;
      };
      for await (const part of source) {
        if (part.type === "delta") {
          held += part.text;
          const text = release(false);
          if (text) yield { type: "delta", text };
        } else {
          const text = release(true);
          if (text) yield { type: "delta", text };
          await record(part.usage);
          yield part;
        }
      }
    }
    return ok(restored());
  }

  translate(text: string, target: string) {
    return this.#run("translate", (p, r) => p.translate(r(text), target, this.options()));
  }

  draftTemplate(input: TemplateRequest, instructions?: string) {
    return this.#run("template", (p) => p.draftTemplate(input, { ...this.options(), instructions }));
  }

  /**
   * One of the tenant's prompts (rendered by the caller with `renderPrompt`) as the system
   * message, the customer's text as the question: what a bot step asks the AI.
   */
  answerWithPrompt(renderedPrompt: string, text: string, model?: string): Promise<AiOutcome<string>> {
    return this.chat([{ role: "system", content: renderedPrompt }, { role: "user", content: text }], model);
  }
}

/** The adapter the settings choose, or why there is none. */
async function providerFor(s: Services, st: ResolvedAiSettings): Promise<Result<AiProvider>> {
  if (st.provider === "offline") return ok(offlineProvider);
  const platform = s.config.openai;
  if (st.sealedKey) {
    const apiKey = await s.secrets.open<string>(st.sealedKey);
    const baseUrl = st.baseUrl ?? platform?.baseUrl;
    return ok(
      new OpenAiProvider({
        apiKey,
        baseUrl,
        // An address the tenant typed is called through the outbound guard.
        fetch: st.baseUrl ? guardedFetcher(s) : s.fetch,
        timeoutMs: s.config.aiTimeoutMs,
      }),
    );
  }
  // The platform's key goes only to the platform's own base URL.
  if (platform && !st.baseUrl) {
    return ok(
      new OpenAiProvider({
        apiKey: platform.apiKey,
        baseUrl: platform.baseUrl,
        fetch: s.fetch,
        timeoutMs: s.config.aiTimeoutMs,
      }),
    );
  }
  return fail("ai_unavailable", "The AI provider is openai but no API key is set", {
    extensions: { setting: "api_key" },
  });
}

/** Builds a tenant's AI from a row read already (a batch that loaded more), or reads it. */
export async function aiFor(s: Services, tenantId: string, row?: SettingsAndUsageRow): Promise<TenantAi> {
  const now = s.clock.now();
  row ??= (await s.database.rows<SettingsAndUsageRow>(settingsAndUsage(tenantId, now)))[0];
  const settings = resolveAiSettings(s.config, row?.settings ? row : undefined);
  return new TenantAi(s, tenantId, settings, monthUsageOf(row, now), await providerFor(s, settings));
}

export type { Answer };
