import type { Intent } from "./intents.ts";

/**
 * Built-in answers per intent, in Brazilian Portuguese, for a bot or an agent to start from when
 * the tenant has no prompt of its own for that intent. Written for an ISP's WhatsApp line; the
 * `{{contact.name}}` variable is filled when the contact has a name.
 */
export const cannedAnswers: Record<Intent, string[]> = {
  segunda_via: [
    "Olá{{contact.name_comma}}! Claro! Vou gerar a segunda via da sua fatura. Pode me confirmar o CPF do titular?",
    "Certo! Posso enviar o boleto atualizado ou o código PIX copia e cola. Qual você prefere?",
  ],
  sem_conexao: [
    "Sinto muito pelo transtorno{{contact.name_comma}}. Vamos resolver: pode desligar o roteador da tomada por 30 segundos e ligar de novo? Depois me diga se as luzes ficaram verdes.",
    "Vou verificar se há instabilidade na sua região. Pode me informar o CPF do titular e se alguma luz do equipamento está vermelha?",
  ],
  lentidao: [
    "Entendo, lentidão atrapalha muito. Pode fazer um teste em speedtest.net conectado no cabo ou perto do roteador e me enviar o resultado?",
    "Vou analisar sua conexão. Enquanto isso, reiniciar o roteador costuma ajudar. Quantos aparelhos estão conectados agora?",
  ],
  cancelamento: [
    "Que pena que você quer nos deixar{{contact.name_comma}}. Posso saber o motivo? Talvez tenhamos uma solução ou um plano que atenda melhor.",
    "Certo, vou encaminhar seu pedido de cancelamento para um atendente, que vai confirmar os dados e a retirada do equipamento.",
  ],
  mudanca_de_plano: [
    "Ótimo! Temos planos de várias velocidades. Você procura mais velocidade ou um valor menor? Já te passo as opções.",
    "Posso fazer a mudança de plano por aqui mesmo. Qual velocidade você gostaria?",
  ],
  desbloqueio: [
    "Vou verificar seu pagamento{{contact.name_comma}}. Se já foi compensado, a liberação é automática em alguns minutos. Pode me enviar o comprovante?",
    "Posso fazer um desbloqueio em confiança por até 3 dias enquanto o pagamento é compensado. Confirma o CPF do titular?",
  ],
  falar_com_atendente: [
    "Claro, já vou te transferir para um de nossos atendentes. Aguarde só um instante, por favor.",
  ],
  horario_de_atendimento: [
    "Nosso atendimento funciona de segunda a sexta das 8h às 18h e aos sábados das 8h às 12h. O suporte técnico por aqui fica disponível 24 horas.",
  ],
  elogio: [
    "Que bom saber disso{{contact.name_comma}}! Obrigado pelo retorno, ficamos felizes em ajudar! 😊",
  ],
  reclamacao: [
    "Sinto muito pela experiência{{contact.name_comma}}. Vou registrar sua reclamação e encaminhar a um supervisor. Pode me contar o que aconteceu?",
  ],
  outro: [
    "Olá{{contact.name_comma}}! Como posso ajudar? Posso enviar a segunda via, verificar sua conexão ou falar sobre planos.",
  ],
};

/** Fills the built-in variable: ", Maria" when the contact has a name, nothing when not. */
export function fillCanned(text: string, contactName: string | null | undefined): string {
  const first = contactName?.trim().split(/\s+/)[0];
  return text.replaceAll("{{contact.name_comma}}", first ? `, ${first}` : "");
}
