import type { Mail } from "../platform/mail/mailer.ts";

/** The mails of the account lifecycle, in the tenant's language (Portuguese unless it is English). */
type Lang = "pt-BR" | "en";

const lang = (language: unknown): Lang =>
  typeof language === "string" && language.startsWith("en") ? "en" : "pt-BR";

export function verificationMail(
  to: string,
  name: string,
  link: string,
  language?: unknown,
): Omit<Mail, "tenantId"> {
  return lang(language) === "en"
    ? {
      to,
      kind: "verify_email",
      subject: "Confirm your email address",
      text:
        `Hello ${name},\n\nConfirm your email address for PyTake:\n${link}\n\nThe link is valid for 7 days.`,
    }
    : {
      to,
      kind: "verify_email",
      subject: "Confirme seu endereço de e-mail",
      text: `Olá, ${name},\n\nConfirme seu e-mail no PyTake:\n${link}\n\nO link vale por 7 dias.`,
    };
}

export function resetMail(
  to: string,
  name: string,
  link: string,
  language?: unknown,
): Omit<Mail, "tenantId"> {
  return lang(language) === "en"
    ? {
      to,
      kind: "reset_password",
      subject: "Reset your password",
      text:
        `Hello ${name},\n\nSomeone asked to reset your PyTake password. If it was you, choose a new one here:\n${link}\n\nThe link is valid for one hour and works once. If it was not you, ignore this mail.`,
    }
    : {
      to,
      kind: "reset_password",
      subject: "Redefinição de senha",
      text:
        `Olá, ${name},\n\nRecebemos um pedido para redefinir sua senha do PyTake. Se foi você, escolha uma nova aqui:\n${link}\n\nO link vale por uma hora e só pode ser usado uma vez. Se não foi você, ignore este e-mail.`,
    };
}

export function invitationMail(
  to: string,
  name: string,
  inviter: string,
  tenantName: string,
  link: string,
  language?: unknown,
): Omit<Mail, "tenantId"> {
  return lang(language) === "en"
    ? {
      to,
      kind: "invitation",
      subject: `${inviter} invited you to ${tenantName} on PyTake`,
      text:
        `Hello ${name},\n\n${inviter} invited you to join ${tenantName} on PyTake. Choose your password to get started:\n${link}\n\nThe invitation is valid for 7 days.`,
    }
    : {
      to,
      kind: "invitation",
      subject: `${inviter} convidou você para ${tenantName} no PyTake`,
      text:
        `Olá, ${name},\n\n${inviter} convidou você para a equipe ${tenantName} no PyTake. Escolha sua senha para começar:\n${link}\n\nO convite vale por 7 dias.`,
    };
}
