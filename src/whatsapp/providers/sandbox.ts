import { z } from "@hono/zod-openapi";
import { afterAnswer } from "../../core/after-answer.ts";
import { randomHex } from "../../core/random.ts";
import type { Services } from "../../services.ts";
import { processWebhook, storeWebhook } from "../inbound/ingest.ts";
import { configById } from "../inbound/apply-events.ts";
import type { Check, ConnectionStatus, ProviderContext, SendResult, WhatsAppProvider } from "./provider.ts";

/**
 * A number with no outside system, so the whole product works in `deno task dev` and in demos.
 * Sends succeed at once; WhatsApp's receipts follow a moment later as Meta-format webhooks
 * through the same pipeline as real ones. A recipient ending in 0000 is "not on WhatsApp": its
 * messages fail with 131026, like the real thing.
 */
export const SANDBOX_DELIVERED_AFTER_S = 1;
export const SANDBOX_READ_AFTER_S = 3;

export class SandboxProvider implements WhatsAppProvider {
  constructor(private readonly s: Services) {}

  async send(ctx: ProviderContext, to: string): Promise<SendResult> {
    const recipient = to.replace(/\D/g, "");
    const wamid = `wamid.SANDBOX${randomHex(16).toUpperCase()}`;
    const receipts = recipient.endsWith("0000") ? [{ status: "failed", delay: SANDBOX_DELIVERED_AFTER_S }] : [
      { status: "sent", delay: 0 },
      { status: "delivered", delay: SANDBOX_DELIVERED_AFTER_S },
      { status: "read", delay: SANDBOX_READ_AFTER_S },
    ];
    // Stamped with when WhatsApp would have sent each, whenever its job happens to run; queued
    // after the answer, as WhatsApp's own receipts come after it.
    const sentAt = this.s.clock.now().getTime();
    await afterAnswer(() => {
      const elapsed = (this.s.clock.now().getTime() - sentAt) / 1000;
      return this.s.jobs.enqueueMany(receipts.map((r) => ({
        name: "whatsapp.sandbox_receipt",
        payload: {
          config_id: ctx.config.id,
          wamid,
          recipient,
          status: r.status,
          at: Math.floor(sentAt / 1000) + r.delay,
        },
        opts: { delaySeconds: Math.max(0, r.delay - elapsed), dedupeId: `sandbox:${wamid}:${r.status}` },
      })));
    });
    return { ok: true, providerMessageId: wamid, waId: recipient };
  }

  markRead(): Promise<{ ok: true }> {
    return Promise.resolve({ ok: true });
  }

  check(ctx: ProviderContext): Promise<{ ok: boolean; checks: Check[]; status: ConnectionStatus }> {
    return Promise.resolve({
      ok: true,
      checks: [{
        name: "sandbox",
        ok: true,
        detail: "simulated number: sends succeed, receipts follow in seconds",
      }],
      status: {
        connection_state: "connected",
        quality_rating: "GREEN",
        messaging_tier: "TIER_UNLIMITED",
        display_name: ctx.config.name,
        phone_number: ctx.config.phoneNumber,
      },
    });
  }
}

/** Builds the receipt exactly as Meta would send it, and feeds it to the webhook pipeline. */
export function registerSandboxJobs(s: Services): void {
  const Receipt = z.object({
    config_id: z.uuid(),
    wamid: z.string(),
    recipient: z.string(),
    status: z.enum(["sent", "delivered", "read", "failed"]),
    at: z.number().int(),
  });
  s.jobRegistry.register("whatsapp.sandbox_receipt", Receipt, async (r) => {
    const config = await configById(s, r.config_id);
    if (!config) return;
    const status = {
      id: r.wamid,
      status: r.status,
      timestamp: String(r.at),
      recipient_id: r.recipient,
      ...(r.status === "failed"
        ? {
          errors: [{
            code: 131026,
            title: "Message undeliverable",
            message: "Message undeliverable",
            error_data: { details: "Message Undeliverable." },
          }],
        }
        : {}),
    };
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
            statuses: [status],
          },
        }],
      }],
    };
    const stored = await storeWebhook(s, {
      provider: "sandbox",
      rawBody: JSON.stringify(payload),
      tenantId: config.tenantId,
      configId: config.id,
    });
    if (!stored.duplicate) await processWebhook(s, stored.id);
  });
}
