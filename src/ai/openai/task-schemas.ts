import { z } from "@hono/zod-openapi";
import { entityTypes } from "../offline/entities.ts";
import { intentDescriptions, intents } from "../offline/intents.ts";
import { sentiments } from "../offline/sentiment.ts";

/**
 * One JSON schema per task, sent as `response_format: { type: "json_schema", strict: true }` so
 * the model answers in a shape we can check, and the zod schema that checks it (a model that
 * ignores the schema is caught here, retried once, then reported as `ai_bad_output`). Strict
 * structured outputs require every property listed in `required` and no extra properties.
 */

export interface Task<T> {
  name: string;
  /** What the model is told the task is (the system message). */
  instructions: string;
  schema: Record<string, unknown>;
  parse: z.ZodType<T>;
  /** False where the schema cannot be expressed in strict mode (templates). */
  strict?: boolean;
}

const object = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

export const sentimentTask: Task<{ label: typeof sentiments[number]; score: number }> = {
  name: "sentiment",
  instructions:
    "Classify the sentiment of the customer's message to a Brazilian internet provider. A report of a failing service (no connection, slowness) is negative; a plain request is neutral; thanks or praise are positive. score is -1 (very negative) to 1 (very positive).",
  schema: object({ label: { type: "string", enum: sentiments }, score: { type: "number" } }),
  parse: z.object({
    label: z.enum(sentiments as [string, ...string[]]),
    score: z.number().min(-1).max(1),
  }) as never,
};

export const intentTask: Task<{ intent: typeof intents[number]; confidence: number }> = {
  name: "intent",
  instructions: `Classify what the customer of a Brazilian internet provider wants. Intents:\n${
    intents.map((i) => `- ${i}: ${intentDescriptions[i]}`).join("\n")
  }\nconfidence is 0 to 1.`,
  schema: object({ intent: { type: "string", enum: intents }, confidence: { type: "number" } }),
  parse: z.object({ intent: z.enum(intents), confidence: z.number().min(0).max(1) }),
};

export const entitiesTask: Task<
  { entities: { type: typeof entityTypes[number]; value: string; text: string }[] }
> = {
  name: "entities",
  instructions:
    "Extract entities from the message: cpf, cnpj, email, phone, cep, date (ISO yyyy-mm-dd), money (a decimal number in reais, e.g. 99.90), protocol (the digits). `text` is the span exactly as written; `value` the normalised form. Placeholders such as [CPF_1] stand for redacted values: return them as they are.",
  schema: object({
    entities: {
      type: "array",
      items: object({
        type: { type: "string", enum: entityTypes },
        value: { type: "string" },
        text: { type: "string" },
      }),
    },
  }),
  parse: z.object({
    entities: z.array(z.object({ type: z.enum(entityTypes), value: z.string(), text: z.string() })),
  }),
};

const SummaryParse = z.object({
  summary: z.string().min(1),
  key_points: z.array(z.string()),
  intent: z.enum(intents),
  sentiment: z.enum(["positive", "neutral", "negative"]),
  sentiment_trend: z.enum(["improving", "worsening", "stable"]),
  resolved: z.boolean(),
});

export const summaryTask: Task<z.infer<typeof SummaryParse>> = {
  name: "summary",
  instructions:
    "Summarise this WhatsApp conversation between a customer and a Brazilian internet provider for the next agent: what the customer wants, what was done, what is pending. key_points: at most 5 short sentences.",
  schema: object({
    summary: { type: "string" },
    key_points: { type: "array", items: { type: "string" } },
    intent: { type: "string", enum: intents },
    sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
    sentiment_trend: { type: "string", enum: ["improving", "worsening", "stable"] },
    resolved: { type: "boolean" },
  }),
  parse: SummaryParse,
};

export const suggestTask: Task<{ suggestions: string[] }> = {
  name: "suggestions",
  instructions:
    "Suggest replies an agent of a Brazilian internet provider could send next in this WhatsApp conversation: short, polite, specific, one message each. Never invent prices, dates or protocol numbers.",
  schema: object({ suggestions: { type: "array", items: { type: "string" } } }),
  parse: z.object({ suggestions: z.array(z.string().min(1)).min(1) }),
};

export const translateTask: Task<{ text: string; source_language: string }> = {
  name: "translation",
  instructions:
    "Translate the user's text into the target language. Keep placeholders such as [CPF_1] and variables such as {{1}} unchanged. source_language is the BCP 47 code of the original.",
  schema: object({ text: { type: "string" }, source_language: { type: "string" } }),
  parse: z.object({ text: z.string().min(1), source_language: z.string().min(2) }),
};

export const templateTask: Task<unknown> = {
  name: "whatsapp_template",
  strict: false,
  instructions:
    "Draft a WhatsApp message template in Meta's template-creation format: {name (snake_case), language (Meta locale, e.g. pt_BR), category (MARKETING, UTILITY or AUTHENTICATION), components: [{type: HEADER, format: TEXT, text (≤60 chars, at most {{1}}), example?: {header_text: [..]}}, {type: BODY, text (≤1024 chars, variables {{1}}, {{2}}… in order, never at the start or end, never adjacent), example: {body_text: [[one value per variable]]}}, {type: FOOTER, text (≤60, no variables)}, {type: BUTTONS, buttons: [{type: QUICK_REPLY, text ≤25} | {type: URL, text, url https} | {type: PHONE_NUMBER, text, phone_number E.164}]} (≤10 buttons, quick replies together)]}. Authentication templates: components [{type: BODY, add_security_recommendation: true}, {type: FOOTER, code_expiration_minutes: 10}, {type: BUTTONS, buttons: [{type: OTP, otp_type: COPY_CODE}]}]. Marketing content makes the category MARKETING.",
  schema: {
    type: "object",
    properties: {
      name: { type: "string" },
      language: { type: "string" },
      category: { type: "string", enum: ["MARKETING", "UTILITY", "AUTHENTICATION"] },
      components: { type: "array", items: { type: "object" } },
    },
    required: ["name", "language", "category", "components"],
  },
  parse: z.unknown(),
};
