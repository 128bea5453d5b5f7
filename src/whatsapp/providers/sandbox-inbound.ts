import { randomHex } from "../../core/random.ts";
import type { Services } from "../../services.ts";
import { processFresh, storeWebhook } from "../inbound/ingest.ts";
import type { ConfigRow } from "./provider.ts";

/**
 * A customer writing to a sandbox number: the same Meta-format webhook a real number would get,
 * through the same pipeline, so flows, the inbox and the 24-hour window behave as in production.
 */
export async function simulateInbound(
  s: Services,
  config: ConfigRow,
  input: { from: string; name?: string; text?: string; reply?: { id: string; title: string } },
): Promise<{ provider_message_id: string }> {
  const wamid = `wamid.SANDBOXIN${randomHex(14).toUpperCase()}`;
  const from = input.from.replace(/\D/g, "");
  const timestamp = String(Math.floor(s.clock.now().getTime() / 1000));
  const message = input.reply
    ? {
      from,
      id: wamid,
      timestamp,
      type: "interactive",
      interactive: { type: "button_reply", button_reply: { id: input.reply.id, title: input.reply.title } },
    }
    : { from, id: wamid, timestamp, type: "text", text: { body: input.text ?? "" } };
  const payload = {
    object: "whatsapp_business_account",
    entry: [{
      id: "sandbox",
      changes: [{
        field: "messages",
        value: {
          messaging_product: "whatsapp",
          metadata: {
            display_phone_number: config.phoneNumber.replace(/\D/g, ""),
            phone_number_id: config.phoneNumberId,
          },
          contacts: [{ profile: { name: input.name ?? "Cliente" }, wa_id: from }],
          messages: [message],
        },
      }],
    }],
  };
  const rawBody = JSON.stringify(payload);
  const stored = await storeWebhook(s, {
    provider: "sandbox",
    rawBody,
    tenantId: config.tenantId,
    configId: config.id,
  });
  // This process holds the body: processed without reading it back (as a webhook is after its 200).
  if (!stored.duplicate) {
    await processFresh(s, { id: stored.id, provider: "sandbox", rawBody, configId: config.id, config });
  }
  return { provider_message_id: wamid };
}
