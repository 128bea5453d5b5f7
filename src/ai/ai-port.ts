import type { Result } from "../core/result.ts";
import type { Entity } from "./offline/entities.ts";
import type { IntentResult } from "./offline/intents.ts";
import type { SentimentResult } from "./offline/sentiment.ts";
import type { SummaryResult } from "./offline/summary.ts";
import type { TemplateDraft, TemplateRequest } from "./template-rules.ts";

/**
 * The AI port (DESIGN §3): what PyTake asks of a model, with two adapters, the offline
 * heuristics (`offline/offline-provider.ts`, the embedded default) and any OpenAI-compatible
 * server (`openai/openai-provider.ts`). Both answer the same typed results; expected failures
 * (rate limits, timeouts, malformed answers, "cannot do this offline") are values.
 * Redaction, budgets and usage are not the adapters' business: `ai-service.ts` wraps them.
 */

export type AiFeature =
  | "chat"
  | "sentiment"
  | "intent"
  | "entities"
  | "summarize"
  | "suggest"
  | "translate"
  | "template";

export const aiFeatures: readonly AiFeature[] = [
  "chat",
  "sentiment",
  "intent",
  "entities",
  "summarize",
  "suggest",
  "translate",
  "template",
];

export type AiLanguage = "pt-BR" | "en" | "es";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export const noUsage: Usage = { inputTokens: 0, outputTokens: 0 };

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One message of a conversation as the AI sees it. */
export interface TranscriptLine {
  role: "customer" | "agent" | "bot";
  text: string;
  at?: string;
}

export interface ModelOptions {
  model: string;
  temperature: number;
  maxTokens: number;
  language: AiLanguage;
}

/** What a provider answered, and what it cost. */
export interface Answer<T> {
  value: T;
  usage: Usage;
  model: string;
}

export type AiOutcome<T> = Result<Answer<T>>;

export interface Suggestion {
  text: string;
  /** Where it came from: a tenant prompt (its id), a built-in canned answer, or the model. */
  source: "prompt" | "canned" | "model";
  prompt_id?: string;
}

export interface SuggestInput {
  lines: TranscriptLine[];
  lastMessage: string;
  /** The tenant's `suggest` prompts, already rendered with the conversation's variables. */
  prompts: { id: string; name: string; intent: string | null; text: string }[];
  /** How many suggestions are wanted. */
  count: number;
  contactName: string | null;
}

export interface Translation {
  text: string;
  source_language: string;
  target_language: string;
}

/** A piece of a streamed chat answer. */
export type StreamPart = { type: "delta"; text: string } | { type: "done"; usage: Usage; model: string };

export interface AiProvider {
  readonly kind: "offline" | "openai";
  sentiment(text: string, o: ModelOptions): Promise<AiOutcome<SentimentResult>>;
  intent(text: string, o: ModelOptions): Promise<AiOutcome<IntentResult>>;
  entities(text: string, o: ModelOptions & { now: Date; timeZone: string }): Promise<AiOutcome<Entity[]>>;
  summarize(
    lines: TranscriptLine[],
    o: ModelOptions & { instructions?: string },
  ): Promise<AiOutcome<SummaryResult>>;
  suggest(input: SuggestInput, o: ModelOptions & { instructions?: string }): Promise<AiOutcome<Suggestion[]>>;
  chat(messages: ChatMessage[], o: ModelOptions): Promise<AiOutcome<string>>;
  /** The same answer as `chat`, piece by piece; the last part carries the usage. */
  chatStream(messages: ChatMessage[], o: ModelOptions): Promise<Result<AsyncIterable<StreamPart>>>;
  translate(text: string, target: string, o: ModelOptions): Promise<AiOutcome<Translation>>;
  draftTemplate(
    input: TemplateRequest,
    o: ModelOptions & { instructions?: string },
  ): Promise<AiOutcome<TemplateDraft>>;
}
