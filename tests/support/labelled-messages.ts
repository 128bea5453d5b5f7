import { classifyIntent, type Intent, intents } from "../../src/ai/offline/intents.ts";
import { analyzeSentiment, type Sentiment } from "../../src/ai/offline/sentiment.ts";

/**
 * The labelled customer messages of tests/fixtures (`ai-messages.tune.tsv`, the part the
 * offline heuristics were tuned on, and `ai-messages.holdout.tsv`, kept out of tuning) and how
 * the offline classifiers score on them. Shared by the accuracy test and the benchmark.
 */

export interface Labelled {
  text: string;
  intent: Intent;
  sentiment: Sentiment;
}

export type LabelledSet = "tune" | "holdout";

export function loadLabelled(set: LabelledSet): Labelled[] {
  const raw = Deno.readTextFileSync(new URL(`../fixtures/ai-messages.${set}.tsv`, import.meta.url));
  const [header, ...lines] = raw.split("\n").filter((l) => l.trim() !== "");
  if (header !== "intent\tsentiment\ttext") throw new Error(`unexpected header in ${set}: ${header}`);
  return lines.map((line, i) => {
    const [intent, sentiment, ...text] = line.split("\t");
    if (!(intents as readonly string[]).includes(intent)) {
      throw new Error(`${set}:${i + 2}: intent ${intent}`);
    }
    if (!["positive", "neutral", "negative"].includes(sentiment)) {
      throw new Error(`${set}:${i + 2}: sentiment ${sentiment}`);
    }
    return { text: text.join("\t"), intent: intent as Intent, sentiment: sentiment as Sentiment };
  });
}

export interface Evaluation {
  total: number;
  intentCorrect: number;
  sentimentCorrect: number;
  /** confusion[expected][predicted] = count */
  confusion: Record<string, Record<string, number>>;
  misses: { text: string; expected: string; got: string; kind: "intent" | "sentiment" }[];
}

export function evaluate(messages: Labelled[]): Evaluation {
  const confusion: Evaluation["confusion"] = {};
  const misses: Evaluation["misses"] = [];
  let intentCorrect = 0;
  let sentimentCorrect = 0;
  for (const m of messages) {
    const got = classifyIntent(m.text).intent;
    (confusion[m.intent] ??= {})[got] = (confusion[m.intent][got] ?? 0) + 1;
    if (got === m.intent) intentCorrect++;
    else misses.push({ text: m.text, expected: m.intent, got, kind: "intent" });
    const s = analyzeSentiment(m.text).label;
    if (s === m.sentiment) sentimentCorrect++;
    else misses.push({ text: m.text, expected: m.sentiment, got: s, kind: "sentiment" });
  }
  return { total: messages.length, intentCorrect, sentimentCorrect, confusion, misses };
}
