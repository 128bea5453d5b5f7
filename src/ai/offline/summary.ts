import type { TranscriptLine } from "../ai-port.ts";
import { extractEntities } from "./entities.ts";
import { classifyIntent, type Intent, intentScores } from "./intents.ts";
import { analyzeSentiment, type Sentiment } from "./sentiment.ts";

/**
 * An extractive summary of a conversation, without a model: what the customer wanted (the
 * intent their messages point to most), how they felt at the start and at the end, the
 * entities they gave (documents, dates, protocols) and the few sentences that carry the case,
 * kept in the order they were said.
 */

export interface SummaryResult {
  summary: string;
  key_points: string[];
  intent: Intent;
  sentiment: Sentiment;
  /** Did the mood change from the first customer message to the last? */
  sentiment_trend: "improving" | "worsening" | "stable";
  resolved: boolean;
}

const WANTS: Record<Intent, string> = {
  segunda_via: "pediu a segunda via da fatura",
  sem_conexao: "relatou estar sem conexão",
  lentidao: "relatou lentidão na internet",
  cancelamento: "pediu o cancelamento",
  mudanca_de_plano: "quer mudar de plano",
  desbloqueio: "pediu o desbloqueio do serviço",
  falar_com_atendente: "pediu para falar com um atendente",
  horario_de_atendimento: "perguntou o horário de atendimento",
  elogio: "elogiou o atendimento",
  reclamacao: "registrou uma reclamação",
  outro: "entrou em contato",
};

const SENTIMENT_PT: Record<Sentiment, string> = {
  positive: "positivo",
  neutral: "neutro",
  negative: "negativo",
};

const RESOLUTION =
  /\b(resolvid[oa]|resolveu|funcionou|voltou|normalizad[oa]|desbloquead[oa]|liberad[oa]|enviad[oa]|agendad[oa]|obrigad[oa])\b/i;
const AGENT_ACTION =
  /\b(protocolo|t[ée]cnico|visita|agend|reinici|desbloque|liber|envi|segunda via|boleto|cancelad|verific|abr[ií] (um )?chamado)/i;

const sentencesOf = (text: string) =>
  text.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s.length > 0);

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`);

export function summarizeTranscript(lines: TranscriptLine[], now?: Date): SummaryResult {
  const customer = lines.filter((l) => l.role === "customer" && l.text.trim());
  const totals = new Map<Intent, number>();
  for (const l of customer) {
    for (const [intent, score] of intentScores(l.text)) totals.set(intent, (totals.get(intent) ?? 0) + score);
  }
  const ranked = [...totals].sort((a, b) => b[1] - a[1]);
  const intent: Intent = ranked[0] && ranked[0][1] >= 2.5
    ? ranked[0][0]
    : (customer.length ? classifyIntent(customer.map((l) => l.text).join(". ")).intent : "outro");

  const moods = customer.map((l) => analyzeSentiment(l.text).score);
  const mean = moods.length ? moods.reduce((a, b) => a + b, 0) / moods.length : 0;
  const sentiment: Sentiment = mean >= 0.15 ? "positive" : mean <= -0.15 ? "negative" : "neutral";
  const first = moods[0] ?? 0;
  const last = moods[moods.length - 1] ?? 0;
  const sentiment_trend = last - first >= 0.3 ? "improving" : first - last >= 0.3 ? "worsening" : "stable";
  const tail = lines.slice(-3).map((l) => l.text).join(" ");
  const resolved = RESOLUTION.test(tail);

  // Score each sentence: the customer's statements of the problem, entities they gave, and what
  // the agent did about it; the first customer statement always counts.
  const scored: { at: number; text: string; score: number }[] = [];
  lines.forEach((l, i) => {
    for (const sentence of sentencesOf(l.text)) {
      let score = 0;
      if (l.role === "customer") {
        const s = intentScores(sentence);
        score += Math.max(0, ...s.values()) / 2;
        score += extractEntities(sentence, { now }).length * 1.5;
        if (i === lines.indexOf(customer[0])) score += 2;
      } else {
        if (AGENT_ACTION.test(sentence)) score += 2;
        if (RESOLUTION.test(sentence)) score += 1;
      }
      if (sentence.length < 12) score -= 1;
      if (score > 0.5) {
        const who = l.role === "customer" ? "Cliente" : l.role === "bot" ? "Bot" : "Atendente";
        scored.push({ at: scored.length, text: `${who}: ${clip(sentence, 200)}`, score });
      }
    }
  });
  const key_points = scored.sort((a, b) => b.score - a.score).slice(0, 5).sort((a, b) => a.at - b.at)
    .map((s) => s.text);

  const entities = customer.flatMap((l) => extractEntities(l.text, { now }));
  const given = [...new Set(entities.filter((e) => e.type !== "date").map((e) => e.type.toUpperCase()))];
  const parts = [
    customer.length ? `O cliente ${WANTS[intent]}.` : "Nenhuma mensagem do cliente.",
    given.length ? `Informou ${given.join(", ")}.` : "",
    `Sentimento ${SENTIMENT_PT[sentiment]}${
      sentiment_trend === "improving"
        ? ", melhorando ao longo da conversa"
        : sentiment_trend === "worsening"
        ? ", piorando ao longo da conversa"
        : ""
    }.`,
    resolved
      ? "A conversa termina com o caso encaminhado ou resolvido."
      : "Sem indicação de resolução até aqui.",
    `${lines.length} mensagens (${customer.length} do cliente).`,
  ];
  return {
    summary: parts.filter(Boolean).join(" "),
    key_points,
    intent,
    sentiment,
    sentiment_trend,
    resolved,
  };
}
