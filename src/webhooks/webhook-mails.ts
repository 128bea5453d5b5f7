import type { Mail } from "../platform/mail/mailer.ts";

/** Tells a tenant's owners and admins that an endpoint was switched off, in the tenant's language. */
export function endpointDisabledMail(
  to: string,
  name: string,
  url: string,
  reason: string,
  language?: string,
): Omit<Mail, "tenantId"> {
  return language?.startsWith("en")
    ? {
      to,
      kind: "webhook_disabled",
      subject: "A webhook endpoint was disabled",
      text:
        `Hello ${name},\n\nPyTake stopped sending events to ${url}: ${reason}.\n\nFix the endpoint, check its log (GET /api/v1/webhooks/{id}/logs) and turn it back on with is_active: true. Events of the meantime can be sent again with POST /api/v1/webhooks/{id}/retry.`,
    }
    : {
      to,
      kind: "webhook_disabled",
      subject: "Um endpoint de webhook foi desativado",
      text:
        `Olá, ${name},\n\nO PyTake parou de enviar eventos para ${url}: ${reason}.\n\nCorrija o endpoint, consulte o log (GET /api/v1/webhooks/{id}/logs) e reative-o com is_active: true. Os eventos do período podem ser reenviados com POST /api/v1/webhooks/{id}/retry.`,
    };
}
