import { POLAR_WORDS as WORDS, speller } from "./lexicon.ts";
import { tokenize } from "./normalize.ts";

/**
 * Offline sentiment for Brazilian Portuguese customer messages: a lexicon of polar words
 * (general ones and the ones an ISP's customers use for a failing service: "caiu", "lenta",
 * "sem internet"), negation that flips the next polar word within three tokens ("nao gostei",
 * "nunca resolvem"), intensifiers that strengthen it ("muito lenta", "lenta demais"), phrases
 * read before single words ("nao funciona", "bom dia" is a greeting, not praise), emojis and
 * repeated exclamation marks.
 */

export type Sentiment = "positive" | "neutral" | "negative";

export const sentiments: readonly Sentiment[] = ["positive", "neutral", "negative"];

/** Phrases read before words; their words are then skipped. */
const PHRASES: [RegExp, number][] = [
  [/ (bom|boa) (dia|tarde|noite) /g, 0],
  [/ tudo bem /g, 0],
  [/ sem (internet|sinal|conexao|acesso|rede|wifi|luz) /g, -2],
  [
    / nao (esta |estou )?(funciona|funcionando|conecta|conectando|navega|navegando|pega|pegando|volta|liga|acessa|carrega)/g,
    -2,
  ],
  [/ nao (estou |esta )?(conseguindo|consigo|consegue) /g, -1.5],
  [
    / nao (resolve|resolvem|resolveu|resolvido|responde|respondem|apareceu|veio|chegou|chega|aguento|passa)/g,
    -2,
  ],
  [/ ninguem (resolve|responde|liga|atende|ligou)/g, -2],
  [/ falta de respeito /g, -3],
  [/ nota (10|dez|mil) /g, 3],
  [/ sem reclamac\w* /g, 2],
  [/ (de novo|outra vez|toda hora|ja e a|pela \w+ vez) /g, -1],
  [/ nao gostei /g, -2],
  [/ nao tem (internet|sinal|conexao) /g, -2],
  [/ nao (entregam|entrega|cumpre|cumprem|entende|entendem) /g, -1.5],
  [/ nao quero mais /g, -1.5],
  [/ nada resolvido /g, -2],
  [/ continua (bloquead|cortad|sem |lent|caindo|ruim|travando)/g, -2],
  [/ (sem avisar|sem aviso|duas vezes|para de mandar) /g, -1.5],
  [/ \d+ (mega|giga) .{0,25}(chega|chegando|deu|passa|vem|vindo) /g, -1.5],
];

const NEGATIONS = new Set(["nao", "nunca", "nem", "jamais", "ninguem"]);
const INTENSIFIERS: Record<string, number> = {
  muito: 1.6,
  muita: 1.6,
  super: 1.6,
  bem: 1.3,
  tao: 1.5,
  extremamente: 1.8,
  totalmente: 1.5,
  mega: 1.3,
  demais: 1.6,
  absurdamente: 1.8,
  mais: 1.2,
};

const EMOJIS: [RegExp, number][] = [
  [/[😍🥰❤️💙💚👏🙌🤩😁😀😃😄🚀💯🎉]/gu, 1.5],
  // Politeness more than praise: "👍" closes a chat, "😊" softens a request.
  [/[😊🙂👍✅]/gu, 0.75],
  [/[😡🤬😠😤😞😔😢😭😩😫👎💩🙄😒]/gu, -2],
];

export interface SentimentResult {
  label: Sentiment;
  /** −1 (very negative) to 1 (very positive). */
  score: number;
  /** The words and phrases that moved the score, with their weights. */
  cues: { text: string; weight: number }[];
}

export function analyzeSentiment(text: string): SentimentResult {
  const cues: SentimentResult["cues"] = [];
  let line = ` ${tokenize(text, speller).join(" ")} `;
  let raw = 0;
  for (const [re, weight] of PHRASES) {
    line = line.replace(re, (m) => {
      if (weight !== 0) {
        raw += weight;
        cues.push({ text: m.trim(), weight });
      }
      return " ";
    });
  }
  const tokens = line.split(" ").filter(Boolean);
  for (let i = 0; i < tokens.length; i++) {
    const w = WORDS[tokens[i]];
    if (!w) continue;
    let weight = w;
    for (let j = Math.max(0, i - 3); j < i; j++) {
      if (NEGATIONS.has(tokens[j])) weight = -weight * 0.8;
    }
    const before = INTENSIFIERS[tokens[i - 1]] ?? 1;
    const after = tokens[i + 1] === "demais" || tokens[i + 1] === "muito" ? 1.6 : 1;
    weight *= Math.max(before, after);
    raw += weight;
    cues.push({ text: tokens[i], weight: Math.round(weight * 100) / 100 });
  }
  for (const [re, weight] of EMOJIS) {
    const n = text.match(re)?.length ?? 0;
    if (n) {
      raw += weight * Math.min(n, 3);
      cues.push({ text: "emoji", weight: weight * Math.min(n, 3) });
    }
  }
  // Shouting strengthens whatever the message already says.
  if (/!{2,}|\?{2,}/.test(text)) raw *= 1.3;
  const label: Sentiment = raw >= 1 ? "positive" : raw <= -1 ? "negative" : "neutral";
  return { label, score: Math.round(Math.tanh(raw / 4) * 100) / 100, cues };
}
