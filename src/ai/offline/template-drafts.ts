import { fold } from "./normalize.ts";
import {
  type TemplateCategory,
  type TemplateDraft,
  templateName,
  type TemplateRequest,
} from "../template-rules.ts";

/**
 * Offline template drafts: a small library of the templates an ISP sends (welcome, invoice
 * reminder, outage notice, technician visit, promotion, satisfaction survey, verification code),
 * in Portuguese, each in a formal and a friendly wording, picked by the purpose's words. The
 * draft still goes through `validateTemplate` like a model's.
 */

interface Skeleton {
  match: RegExp;
  category: TemplateCategory;
  header?: string;
  formal: string;
  friendly: string;
  examples: string[];
  footer?: string;
  quickReplies?: string[];
}

const SKELETONS: Skeleton[] = [
  {
    match: /welcome|boas.?vindas|bem.?vindo|onboarding|novo cliente/,
    category: "UTILITY",
    header: "Bem-vindo(a)!",
    formal:
      "Olá, {{1}}. Seja bem-vindo(a) à {{2}}. Sua instalação foi concluída e seu plano já está ativo. Sempre que precisar, fale conosco por este número.",
    friendly:
      "Oi, {{1}}! Que bom ter você com a gente na {{2}} 🎉 Sua internet já está ativa. Qualquer coisa, é só chamar aqui!",
    examples: ["Maria", "Fibra Rápida"],
    footer: "Responda SAIR para não receber mensagens",
    quickReplies: ["Falar com atendente", "Ver meu plano"],
  },
  {
    match: /payment|pagamento|cobranca|fatura|boleto|invoice|vencimento|lembrete/,
    category: "UTILITY",
    header: "Lembrete de pagamento",
    formal:
      "Olá, {{1}}. Sua fatura no valor de {{2}} vence em {{3}}. Para receber a segunda via ou o código PIX, responda esta mensagem.",
    friendly:
      "Oi, {{1}}! Passando para lembrar que sua fatura de {{2}} vence em {{3}}. Quer a segunda via ou o PIX? É só responder aqui 😉",
    examples: ["Maria", "R$ 99,90", "10/12/2026"],
    quickReplies: ["Enviar segunda via", "Já paguei"],
  },
  {
    match: /outage|manutencao|instabilidade|queda|interrup|maintenance/,
    category: "UTILITY",
    header: "Aviso de manutenção",
    formal:
      "Prezado(a) {{1}}, informamos que haverá manutenção na rede da sua região em {{2}}, das {{3}}. A conexão poderá ficar indisponível nesse período. Agradecemos a compreensão.",
    friendly:
      "Oi, {{1}}! Vamos fazer uma manutenção na rede do seu bairro em {{2}}, das {{3}}. Pode ser que a internet oscile nesse horário, tá? Obrigado pela paciência!",
    examples: ["Maria", "15/12/2026", "02h às 05h"],
  },
  {
    match: /visit|visita|tecnico|agendamento|appointment|instalacao/,
    category: "UTILITY",
    header: "Visita técnica",
    formal:
      "Olá, {{1}}. Sua visita técnica está agendada para {{2}}, no período da {{3}}. Confirme abaixo se alguém estará no local.",
    friendly:
      "Oi, {{1}}! Nosso técnico vai até você em {{2}}, no período da {{3}}. Alguém vai estar em casa? Confirma aqui pra gente 👇",
    examples: ["Maria", "12/12/2026", "manhã"],
    quickReplies: ["Confirmar", "Reagendar"],
  },
  {
    match: /promo|oferta|desconto|upgrade|black.?friday|campanha|marketing|novidade/,
    category: "MARKETING",
    header: "Oferta especial",
    formal:
      "Olá, {{1}}. Como cliente {{2}}, você pode migrar para o plano de {{3}} com condições especiais por tempo limitado. Deseja conhecer a oferta?",
    friendly:
      "Oi, {{1}}! Temos uma novidade pra você, cliente {{2}}: o plano de {{3}} com preço especial por pouco tempo 🚀 Quer saber mais?",
    examples: ["Maria", "Fibra Rápida", "1 Giga"],
    footer: "Responda SAIR para não receber ofertas",
    quickReplies: ["Quero saber mais", "Não tenho interesse"],
  },
  {
    match: /satisf|pesquisa|survey|avaliacao|feedback|nps/,
    category: "UTILITY",
    formal:
      "Olá, {{1}}. Seu atendimento de {{2}} foi concluído. Como você avalia o atendimento recebido? Sua opinião nos ajuda a melhorar.",
    friendly:
      "Oi, {{1}}! Seu atendimento de {{2}} foi finalizado. Conta pra gente: como foi? Sua opinião ajuda muito 💙",
    examples: ["Maria", "26/11/2026"],
    quickReplies: ["Ótimo", "Regular", "Ruim"],
  },
];

const GENERIC: Skeleton = {
  match: /.*/,
  category: "UTILITY",
  formal: "Olá, {{1}}. Temos uma atualização sobre {{2}}. Responda esta mensagem se precisar de ajuda.",
  friendly: "Oi, {{1}}! Temos uma novidade sobre {{2}}. Qualquer dúvida, é só responder aqui 😉",
  examples: ["Maria", "sua conta"],
};

const AUTH = /otp|codigo|verifica|autentica|authentication|login|senha|2fa|token/;

export function offlineTemplateDraft(req: TemplateRequest): TemplateDraft {
  const words = fold(`${req.purpose} ${req.description ?? ""}`).replace(/_/g, " ");
  const name = req.name ?? templateName(req.purpose);
  if (req.category === "AUTHENTICATION" || (!req.category && AUTH.test(words))) {
    return {
      name,
      language: req.language,
      category: "AUTHENTICATION",
      components: [
        { type: "BODY", add_security_recommendation: true },
        { type: "FOOTER", code_expiration_minutes: 10 },
        { type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: "Copiar código" }] },
      ],
    };
  }
  const s = SKELETONS.find((k) => k.match.test(words)) ?? GENERIC;
  const formal = req.tone === "formal" || req.tone === "neutral";
  const replies = (req.quick_replies?.length ? req.quick_replies : s.quickReplies)?.slice(0, 10);
  return {
    name,
    language: req.language,
    category: req.category ?? s.category,
    components: [
      ...(s.header ? [{ type: "HEADER" as const, format: "TEXT" as const, text: s.header }] : []),
      { type: "BODY", text: formal ? s.formal : s.friendly, example: { body_text: [s.examples] } },
      ...(s.footer ? [{ type: "FOOTER" as const, text: s.footer }] : []),
      ...(replies?.length
        ? [{
          type: "BUTTONS" as const,
          buttons: replies.map((text) => ({ type: "QUICK_REPLY" as const, text: text.slice(0, 25) })),
        }]
        : []),
    ],
  };
}
