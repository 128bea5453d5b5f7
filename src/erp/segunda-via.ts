import { and, eq, isNull } from "drizzle-orm";
import { contacts, conversations } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { isUuid } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import type { MessageView } from "../whatsapp/message-view.ts";
import { toE164 } from "../whatsapp/phone.ts";
import type { OutboundContent } from "../whatsapp/providers/provider.ts";
import { sendMessage } from "../whatsapp/send-message.ts";
import { checkLine, formatBankLine } from "./boleto.ts";
import type { ErpSegundaVia } from "./model.ts";

/**
 * The segunda via on WhatsApp: the boleto as a PDF document (caption: amount, due date and the
 * linha digitável), then the PIX copia e cola alone in a text, so the customer can copy it with
 * one long press. Both go through the one send path (src/whatsapp/send-message.ts): the same
 * events, statuses, 24-hour window and monthly quota as any message.
 */

const brl = (cents: number) =>
  `R$ ${(cents / 100).toFixed(2).replace(".", ",").replace(/\B(?=(\d{3})+(?!\d))/g, ".")}`;
const brDate = (iso: string) => iso.split("-").reverse().join("/");

export function segundaViaMessages(via: ErpSegundaVia): OutboundContent[] {
  const line = via.linha_digitavel
    ? (() => {
      const checked = checkLine(via.linha_digitavel!);
      return checked.ok && checked.kind === "bank" ? formatBankLine(checked.digits) : via.linha_digitavel!;
    })()
    : null;
  const summary = [
    `Segunda via da sua fatura: ${brl(via.amount_cents)}, vencimento ${brDate(via.due_date)}.`,
    ...(line ? ["", `Linha digitável: ${line}`] : []),
    ...(via.pix_copia_e_cola ? ["", "Para pagar com PIX, copie o código da próxima mensagem."] : []),
  ].join("\n");
  const out: OutboundContent[] = [];
  if (via.pdf_url) {
    out.push({
      type: "document",
      media: { link: via.pdf_url, filename: `boleto-${via.invoice_id}.pdf`, caption: summary.slice(0, 1024) },
    });
  } else {
    out.push({ type: "text", text: { body: summary } });
  }
  if (via.pix_copia_e_cola) out.push({ type: "text", text: { body: via.pix_copia_e_cola } });
  return out;
}

/**
 * Where `send_to` points: a conversation id (its contact, through its number) or a phone (the
 * tenant's default number, or `configId`).
 */
async function target(
  s: Services,
  tenantId: string,
  sendTo: string,
  configId?: string,
): Promise<Result<{ phone: string; configId?: string }>> {
  if (isUuid(sendTo)) {
    const [row] = await s.database.db.select({ phone: contacts.phone, configId: conversations.configId })
      .from(conversations).innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(
        and(eq(conversations.id, sendTo), eq(conversations.tenantId, tenantId), isNull(contacts.deletedAt)),
      );
    if (!row) return fail("not_found", "Conversation not found");
    return ok({ phone: row.phone, configId: configId ?? row.configId });
  }
  const phone = toE164(sendTo);
  if (!phone) {
    return fail("validation_failed", "`send_to` is neither a conversation id nor a valid phone number", {
      errors: [{
        path: "body.send_to",
        message: "A conversation id or a phone number (E.164, like +5511999999999)",
      }],
    });
  }
  return ok({ phone, configId });
}

export async function sendSegundaVia(
  s: Services,
  p: Principal,
  via: ErpSegundaVia,
  sendTo: string,
  configId?: string,
): Promise<Result<{ to: string; messages: MessageView[] }>> {
  const to = await target(s, p.tenantId!, sendTo, configId);
  if (!to.ok) return to as Result<never>;
  const sent: MessageView[] = [];
  for (const content of segundaViaMessages(via)) {
    const result = await sendMessage(s, p, { to: to.value.phone, configId: to.value.configId, content });
    if (!result.ok) {
      // The first message refused (window closed, quota): nothing was sent. A later one: say what went.
      return sent.length === 0 ? result as Result<never> : fail(result.failure.code, result.failure.detail, {
        ...result.failure,
        extensions: { ...result.failure.extensions, sent_messages: sent },
      });
    }
    sent.push(result.value.message);
  }
  return ok({ to: to.value.phone, messages: sent });
}
