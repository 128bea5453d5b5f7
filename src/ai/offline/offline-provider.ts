import { ok } from "../../core/result.ts";
import { fail } from "../../core/result.ts";
import type { AiProvider, Answer, ChatMessage, StreamPart, Suggestion } from "../ai-port.ts";
import { noUsage } from "../ai-port.ts";
import { cannedAnswers, fillCanned } from "./canned-answers.ts";
import { extractEntities } from "./entities.ts";
import { classifyIntent } from "./intents.ts";
import { analyzeSentiment } from "./sentiment.ts";
import { summarizeTranscript } from "./summary.ts";
import { offlineTemplateDraft } from "./template-drafts.ts";

/**
 * The embedded AI adapter: everything answered in process by the heuristics of this folder, at
 * no cost (usage is zero tokens), with the model named `offline`. Translation needs a model, so
 * it fails with `ai_unavailable` naming the setting that enables one, never an echo.
 */

export const OFFLINE_MODEL = "offline";

const answer = <T>(value: T): { ok: true; value: Answer<T> } =>
  ok({ value, usage: noUsage, model: OFFLINE_MODEL }) as { ok: true; value: Answer<T> };

const lastUser = (messages: ChatMessage[]) =>
  [...messages].reverse().find((m) => m.role === "user")?.content ?? "";

/** A bot-like reply: the canned answer for what the last message asks. */
function reply(messages: ChatMessage[]): string {
  const { intent } = classifyIntent(lastUser(messages));
  return fillCanned(cannedAnswers[intent][0], null);
}

export const offlineProvider: AiProvider = {
  kind: "offline",
  sentiment: (text) => Promise.resolve(answer(analyzeSentiment(text))),
  intent: (text) => Promise.resolve(answer(classifyIntent(text))),
  entities: (text, o) => Promise.resolve(answer(extractEntities(text, { now: o.now, timeZone: o.timeZone }))),
  summarize: (lines) => Promise.resolve(answer(summarizeTranscript(lines))),
  suggest(input) {
    const { intent } = classifyIntent(input.lastMessage);
    const own: Suggestion[] = input.prompts.filter((p) => p.intent === intent)
      .map((p) => ({ text: p.text, source: "prompt", prompt_id: p.id }));
    const canned: Suggestion[] = cannedAnswers[intent].map((t) => ({
      text: fillCanned(t, input.contactName),
      source: "canned",
    }));
    return Promise.resolve(answer([...own, ...canned].slice(0, input.count)));
  },
  chat: (messages) => Promise.resolve(answer(reply(messages))),
  chatStream(messages) {
    const text = reply(messages);
    async function* parts(): AsyncIterable<StreamPart> {
      // Word by word, like a model's stream, so clients exercise the same code offline.
      for (const piece of text.match(/\S+\s*/g) ?? []) yield { type: "delta", text: piece };
      yield { type: "done", usage: noUsage, model: OFFLINE_MODEL };
    }
    return Promise.resolve(ok(parts()));
  },
  translate: () =>
    Promise.resolve(fail("ai_unavailable", "Translation needs a model: the offline AI cannot translate", {
      extensions: {
        setting: "provider",
        hint:
          'PUT /api/v1/ai/settings with provider "openai" (and an api_key, unless the platform sets OPENAI_API_KEY)',
      },
    })),
  draftTemplate: (req) => Promise.resolve(answer(offlineTemplateDraft(req))),
};
