import { speller } from "./lexicon.ts";
import { tokenize } from "./normalize.ts";

/**
 * The intents an ISP's WhatsApp line sees, and an offline classifier for them: weighted cues
 * (words, stems and short phrases over the normalised tokens of `normalize.ts`), summed per
 * intent; the strongest wins when it is clear enough, else `outro`. Deterministic, no model,
 * about a hundred thousand messages a second: good enough to route a bot (measured against a
 * labelled set in `bench/ai.bench.ts`, reported in docs/benchmarks.md).
 */

export const intents = [
  "segunda_via",
  "sem_conexao",
  "lentidao",
  "cancelamento",
  "mudanca_de_plano",
  "desbloqueio",
  "falar_com_atendente",
  "horario_de_atendimento",
  "elogio",
  "reclamacao",
  "outro",
] as const;

export type Intent = typeof intents[number];

export const intentDescriptions: Record<Intent, string> = {
  segunda_via: "Wants an invoice, boleto, barcode or PIX key to pay.",
  sem_conexao: "Has no connection at all (down, red light, cannot connect).",
  lentidao: "Connected but slow, unstable or lagging.",
  cancelamento: "Wants to cancel or end the contract.",
  mudanca_de_plano: "Wants another plan (upgrade, downgrade, prices of plans).",
  desbloqueio: "Service blocked for non-payment: paid and wants it back, or asks for trust unblocking.",
  falar_com_atendente: "Wants a person (an agent, a department).",
  horario_de_atendimento: "Asks when the company or the store is open.",
  elogio: "Thanks or praise.",
  reclamacao: "A complaint about service, billing or staff.",
  outro: "Anything else (greetings, coverage, address changes, small talk).",
};

type Cue = [RegExp, number];

/** Cues per intent; patterns run over ` token token … ` (spaces around every token). */
const CUES: Record<Exclude<Intent, "outro">, Cue[]> = {
  segunda_via: [
    [/ segundavia /, 4],
    [/ boletos? /, 3],
    [/ faturas? /, 2.5],
    [/ codigodebarras /, 3],
    [/ pix (copia|chave)| chave (do )?pix /, 2],
    [/ pix /, 1.5],
    [/ (quero|queria|preciso|gostaria de|como) pagar /, 2],
    [/ pagar (a|minha|o|na) /, 1],
    [/ mensalidade /, 1],
    [/ (valor|quanto) .{0,20}(fatura|conta|mensalidade)| quanto (esta|ficou|deu) (a )?(minha )?conta /, 2],
    [/ (conta|fatura) (de|do|desse|deste) (mes|abril|marco|maio)/, 1.5],
    [/ (reenviar|reenvia|manda|mandar|envia|enviar|passa) (o|a|ai)? ?(boleto|fatura|conta|pix)/, 1.5],
  ],
  sem_conexao: [
    [/ (caiu|cai|caindo|quedas?) /, 3],
    [/ sem (internet|sinal|conexao|acesso|rede|wifi|luz)/, 4],
    [
      / nao (esta |estou )?(funciona|funcionando|conecta|conectando|navega|navegando|pega|pegando|volta|liga|acessa)/,
      3.5,
    ],
    [/ nao (estou |esta )?(conseguindo|consigo|consegue) (acessar|conectar|navegar|entrar|usar)/, 4],
    [/ (parou|acabou|sumiu)/, 2.5],
    [/ (offline|off|foradoar) /, 3.5],
    [/ nada de internet | nao tem internet | tudo offline /, 3],
    [/ (luz|led) (vermelha|apagada|piscando)| vermelh[oa] | los | pon /, 3],
    [/ (modem|roteador|onu|aparelho) /, 1],
    [/ (rompeu|rompido|cabo) /, 1.5],
  ],
  lentidao: [
    [/ (lent[oa]s?|lentidao|lerd[oa]s?|devagar) /, 4],
    [/ (travando|trava|travar|travamentos?) /, 3],
    [/ velocidade /, 2.5],
    [/ velocidade (caiu|baixa|abaixo)/, 2],
    [/ (ping|lag|latencia) /, 3],
    [/ (oscilando|oscila|instavel) /, 1.5],
    [/ (carroca|discada) /, 3],
    [/ (demora|demorando|eternidade|carregando) /, 2.5],
    [/ (contratei|contratado|paguei por|pago por|assinei) .{0,30}\d+ (mega|giga)/, 3],
    [/ \d+ (mega|giga) .{0,25}(chega|chegando|deu|passa|vem|vindo)/, 2.5],
    [/ nao passa de /, 2],
    [/ (speedtest|teste de velocidade) /, 3],
    [/ (fraco|fraca) /, 2],
    [/ (piorou|abaixo) /, 1.5],
  ],
  cancelamento: [
    [/ (cancel|cansel)\w* /, 4],
    [/ (quero|queria|preciso|gostaria de|desejo|vou|pode|como) (o |a )?(cancel|cansel)/, 2.5],
    [/ (pensando em|se \w+ .{0,30}vou) cancel/, -3],
    [/ (rescindir|rescisao|encerrar|desisto|desistir)\b/, 4],
    [/ dar baixa /, 3],
    [/ sair da (operadora|empresa)/, 3],
    [/ nao quero mais /, 3],
    [/ (multa|fidelidade) /, 1.5],
    [/ outra operadora /, 2],
  ],
  mudanca_de_plano: [
    [/ (plano|planos|pacote) /, 2.5],
    [/ (upgrade|downgrade) /, 4],
    [
      / (aumentar|diminuir|reduzir|subir|trocar|mudar|alterar|passar)\w* .{0,25}(plano|velocidade|pacote|mega|giga)/,
      2,
    ],
    [/ (para|pro) (o )?(de )?\d+ (mega|giga)?/, 1.5],
    [/ (passar|mudar|trocar|ir) para o (plano )?(de )?\d+/, 2],
    [/ \d+ (mega|giga) /, 1],
    [/ (quanto (fica|custa|sai|e)|valor|preco)/, 1],
    [/ (promocao|anuncio) /, 1.5],
    [/ (contratar|quero|queria) mais velocidade /, 3],
    [/ plano (melhor|maior|mais barato|empresarial|basico)/, 2],
    [/ com tv /, 1.5],
  ],
  desbloqueio: [
    [/ desbloque\w* /, 5],
    [/ (bloquead[oa]|bloquearam|bloqueio|bloqueou|cortad[oa]|cortaram|suspens[ao]|suspenderam)/, 3.5],
    [/ confianca /, 3],
    [/ (liber|religa|reativ)\w* /, 3],
    [/ (paguei|pago|quitei|efetuei|fiz o (pix|pagamento)|ja fiz o pix)/, 2],
    [/ comprovante /, 1.5],
    [/ quando (volta|libera|religa)/, 2],
  ],
  falar_com_atendente: [
    [/ (atendente|humano|humana|pessoa|gerente|supervisor) /, 3],
    [/ falar com /, 3],
    [/ (tem|ha|existe) alguem /, 4],
    [/ alguem (ai|pode|do|me) /, 2.5],
    [/ (me )?(passa|transfere|coloca|chama|liga|ligar|atender) .{0,12}(para|com|no|pra)?/, 1],
    [/ me (passa|transfere|coloca|chama|liga|atende) /, 2],
    [/ (setor|departamento) /, 2],
    [/ (financeiro|comercial) /, 1],
    [/ robo /, 2.5],
    [/^ (atendimento|suporte humano|suporte) $/, 3],
    [/ atendimento humano | opcao 0 /, 3],
  ],
  horario_de_atendimento: [
    [/ (horario|horarios|expediente|plantao) /, 4],
    [/ (que|qual|ate que) horas? /, 3.5],
    [/ (abre|abrem|abrir|aberto|aberta|fecha|fecham|fechar|atendem|funcionam|trabalham) /, 2],
    [/ (sabado|sabados|domingo|domingos|feriado|fim de semana|carnaval|natal)/, 2.5],
    [/ 24 horas /, 3],
    [/ (abre|abrem|abrir) (amanha|hoje|cedo|que|a que)/, 2],
  ],
  elogio: [
    [/ (obrigad[oa]|obrigadao|valeu|brigad[oa]|brigadao|agradeco|agradecer|grato|grata)/, 3],
    [/ (parabens|elogiar|elogio)/, 4],
    [
      / (excelente|otim[oa]|perfeito|top|show|maravilh\w*|adorei|amei|caprichado|atencioso|atenciosa|educad[oa]|voando) /,
      2,
    ],
    [/ recomendo /, 3],
    [/ voces sao (demais|otimos|show|top|os melhores)/, 3],
    [/ (top|show|bom|boa|otim[oa]) demais /, 1],
    [/ nota (10|dez|mil) /, 2.5],
    [/ melhor (provedor|internet|atendimento|empresa)/, 2.5],
    [/ (resolvido|resolveu|funcionou|voltou|tudo certo) /, 1.5],
    [/ sem reclamac/, 2],
  ],
  reclamacao: [
    [/ (reclam\w*) /, 4],
    [/ (procon|anatel|reclameaqui|reclame aqui) /, 5],
    [
      / (absurdo|vergonha|descaso|desrespeito|palhacada|piada|porcaria|pessimo|pessima|horrivel|lixo|indignad[oa]|ridiculo)/,
      2.5,
    ],
    [/ (cobranca|cobraram|cobrado|cobrou|cobrando)/, 3],
    [/ (indevid[oa]|duas vezes|a mais|errad[oa]|maior que) /, 1.5],
    [/ valor (maior|errado|diferente|a mais)/, 2],
    [/ (veio|vieram) com (valor|cobranca)/, 1.5],
    [/ (mudaram|aumentaram|subiram|reajustaram) (o|a) (valor|preco|mensalidade)/, 3],
    [/ nao (entregam|entrega|cumpre|cumprem) /, 3],
    [/ (nao aguento|nada resolvido|nao resolvem|nunca resolvem)/, 3],
    [/ nao (apareceu|veio|vieram|compareceu)/, 3],
    [/ ninguem (responde|resolve|liga|ligou|atende|me responde)/, 3],
    [/ (prometeram|prometido)/, 2],
    [/ (sem avisar|sem aviso)/, 3],
    [/ (grosso|grossa|mal educad[oa]|desligou na)/, 3],
    [/ falta de respeito /, 3],
    [/ protocolos? /, 1.5],
    [/ (sujou|fio solto|estragou)/, 2],
  ],
};

export interface IntentResult {
  intent: Intent;
  /** 0–1: how far the winner stands above the rest. */
  confidence: number;
  /** The runners-up with their scores, strongest first (at most three). */
  alternatives: { intent: Intent; score: number }[];
}

/** Below this no intent is clear enough, and the message is `outro`. */
const THRESHOLD = 2.5;

function countMatches(re: RegExp, line: string): number {
  if (!re.test(line)) return 0;
  return Math.max(1, line.match(new RegExp(re.source, "g"))?.length ?? 1);
}

export function intentScores(text: string): Map<Exclude<Intent, "outro">, number> {
  const line = ` ${tokenize(text, speller).join(" ")} `;
  const scores = new Map<Exclude<Intent, "outro">, number>();
  for (const [intent, cues] of Object.entries(CUES) as [Exclude<Intent, "outro">, Cue[]][]) {
    let score = 0;
    // A cue found twice ("adorei …, muito educada") counts twice, never more.
    for (const [re, weight] of cues) score += weight * Math.min(2, countMatches(re, line));
    if (score > 0) scores.set(intent, score);
  }
  return scores;
}

export function classifyIntent(text: string): IntentResult {
  const ranked = [...intentScores(text)].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < THRESHOLD) {
    return {
      intent: "outro",
      confidence: best ? Math.round((1 - best[1] / THRESHOLD) * 100) / 100 : 1,
      alternatives: ranked.slice(0, 3).map(([intent, score]) => ({ intent, score })),
    };
  }
  const margin = best[1] - (second?.[1] ?? 0);
  return {
    intent: best[0],
    confidence: Math.round(Math.min(1, 0.5 + margin / (2 * best[1])) * 100) / 100,
    alternatives: ranked.slice(1, 4).map(([intent, score]) => ({ intent, score })),
  };
}
