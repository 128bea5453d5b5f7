import { z } from "@hono/zod-openapi";
import { and, eq, isNull, sql } from "drizzle-orm";
import { contacts, messages, tenants } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { defaultBackoffMs } from "../platform/jobs/jobs.ts";
import type { Services } from "../services.ts";
import { limitsOf } from "../tenants/plans.ts";
import { releaseMonthlyStatement } from "../tenants/usage.ts";
import { resolveSendingConfig } from "./configs/manage-configs.ts";
import { mayActOn } from "../conversations/conversation-rules.ts";
import { type ContactSummary, contactSummary } from "../contacts/contact-view.ts";
import { messageEvent } from "../events/payloads.ts";
import { runReads } from "../platform/db/reads.ts";
import { configById } from "./inbound/apply-events.ts";
import { applyEarlyStatuses, attachEarlyStatuses } from "./message-status.ts";
import { numbersByTenant } from "./number-cache.ts";
import { stageSend } from "./stage-send.ts";
import { type MessageView, messageView } from "./message-view.ts";
import { toE164 } from "./phone.ts";
import type { ConfigRow, OutboundContent, ProviderError } from "./providers/provider.ts";
import { providerContext, providerFor } from "./providers/registry.ts";

type MessageRow = typeof messages.$inferSelect;

export interface SendInput {
  to: string;
  configId?: string;
  content: OutboundContent;
  /** Our id of the message being answered (quoted). */
  replyToMessageId?: string;
  retryOf?: string;
}

export interface SendOutcome {
  message: MessageView;
  /** `sent`: the provider accepted it; `queued`: a transient failure, retried in the background. */
  outcome: "sent" | "queued";
}

/** Readable text of an outbound message, for the inbox and search. */
export function bodyOf(c: OutboundContent): string | null {
  switch (c.type) {
    case "text":
      return c.text.body;
    case "image":
    case "video":
    case "document":
    case "audio":
    case "sticker":
      return c.media.caption ?? c.media.filename ?? null;
    case "location":
      return [c.location.name, c.location.address].filter(Boolean).join(" — ") || null;
    case "contacts":
      return c.contacts.map((x) => x.name.formatted_name).join(", ");
    case "interactive":
      return c.interactive.body.text;
    case "template":
      return `[template ${c.template.name}]`;
    case "reaction":
      return c.reaction.emoji;
  }
}

/** WhatsApp's free-form rule: only where a customer wrote in the last 24 hours (Meta numbers). */
function windowApplies(config: ConfigRow, content: OutboundContent): boolean {
  return config.apiType !== "evolution" && content.type !== "template";
}

/**
 * Sends one message in two round trips (ROUND_TRIP_BUDGET.send): one batch before the provider
 * call stores the pending row with every rule checked in SQL (src/whatsapp/stage-send.ts), one
 * after records what the provider said. The row exists before the provider is called, so nothing
 * is lost; a transient provider failure leaves it pending and retries it through the job queue; a
 * permanent one marks it failed with the provider's code and a readable reason.
 */
export async function sendMessage(
  s: Services,
  p: Principal,
  input: SendInput,
): Promise<Result<SendOutcome>> {
  const tenantId = p.tenantId!;
  const resolved = await resolveSendingConfig(s, tenantId, input.configId);
  if (!resolved.ok) return resolved as Result<never>;
  const chosen = resolved.value;
  const phone = toE164(input.to);
  if (!phone) {
    return fail("validation_failed", "`to` is not a valid phone number", {
      errors: [{ path: "body.to", message: "Not a valid phone number (E.164 like +5511999999999)" }],
    });
  }
  const now = s.clock.now();
  const throughput = await s.rateLimiter.limit(`wa:tput:${chosen.id}`, {
    limit: chosen.throughputPerSecond,
    windowSeconds: 1,
  });
  if (!throughput.success) {
    return fail(
      "rate_limited",
      `This number sends at most ${chosen.throughputPerSecond} messages per second`,
      {
        extensions: { retry_after_ms: Math.max(0, throughput.reset - now.getTime()) },
      },
    );
  }
  // The plan authentication already looked up; a database read only when called without one.
  const plan = p.kind !== "scrape" && p.plan ? p.plan : (await s.database.db.select({ plan: tenants.plan })
    .from(tenants).where(eq(tenants.id, tenantId)))[0].plan;
  const limit = limitsOf(plan).messages_per_month;

  const staged = await runReads(
    s.database,
    stageSend({
      tenantId,
      configId: chosen.id,
      phone,
      principal: p,
      windowApplies: windowApplies(chosen, input.content),
      limit,
      now,
      message: {
        id: uuidv7(),
        type: input.content.type,
        content: input.content as unknown as Record<string, unknown>,
        body: bodyOf(input.content),
        senderType: p.kind === "api_key" ? "api" : "agent",
        senderUserId: p.kind === "user" ? p.userId : null,
        retryOf: input.retryOf ?? null,
        replyToMessageId: input.replyToMessageId,
      },
      newContactId: uuidv7(),
      newConversationId: uuidv7(),
    }),
  );
  const { config, contact, conversation, message: pending } = staged;
  // Nothing stored: say which rule refused, in the order they apply.
  if (!pending) {
    if (!config) {
      numbersByTenant.delete(tenantId);
      return fail(
        input.configId ? "not_found" : "conflict",
        input.configId
          ? "WhatsApp number not found"
          : "The tenant has no active WhatsApp number; add one first",
      );
    }
    if (!config.isActive) {
      numbersByTenant.delete(tenantId);
      return fail("conflict", "This WhatsApp number is deactivated; activate it to send");
    }
    if (contact?.blocked) return fail("conflict", "This contact is blocked; unblock it to send");
    if (conversation && !mayActOn(p, conversation.conversation)) {
      return fail("forbidden", "This conversation is assigned to another agent");
    }
    const windowEnd = conversation?.conversation.windowExpiresAt ?? null;
    if (windowApplies(config, input.content) && !(windowEnd && windowEnd > now)) {
      return fail(
        "window_closed",
        "More than 24 hours since the customer last wrote (or they never did): only a template message can start the conversation",
        { extensions: { window_expires_at: windowEnd?.toISOString() ?? null } },
      );
    }
    if (input.replyToMessageId && !staged.quoted) {
      return fail("validation_failed", "The message to reply to does not exist or was never delivered", {
        errors: [{ path: "body.reply_to_message_id", message: "Unknown message" }],
      });
    }
    return fail("quota_exceeded", `The ${plan} plan allows ${limit} messages a month; upgrade to send more`, {
      extensions: { limit: "messages_per_month", max: limit },
    });
  }

  const who = contactSummary(contact!);
  const attempt = await deliver(s, config!, pending, contact!.waId ?? phone.slice(1), who);
  if (attempt.kind === "sent") return ok({ message: messageView(attempt.message), outcome: "sent" });
  if (attempt.kind === "retry") return ok({ message: messageView(attempt.message), outcome: "queued" });
  return fail("provider_rejected", attempt.error.title, {
    extensions: {
      message_id: pending.id,
      provider_code: attempt.error.code,
      provider_detail: attempt.error.detail ?? null,
      message: messageView(attempt.message),
    },
  });
}

type Delivery =
  | { kind: "sent"; message: MessageRow }
  | { kind: "retry"; message: MessageRow; error: ProviderError }
  | { kind: "failed"; message: MessageRow; error: ProviderError };

/**
 * One provider call for a pending message, and what it means for the row: recorded in one batch
 * (with the contact's WhatsApp id when it says something new, and the statuses that arrived before
 * the provider id was known; the retry job or the quota given back on a failure). The event
 * carries the message as stored and its contact (`who`).
 */
export async function deliver(
  s: Services,
  config: ConfigRow,
  message: MessageRow,
  to: string,
  who: ContactSummary,
  /** Given by the retry job: its attempt is the last one. Absent for a send's first attempt. */
  job?: { finalAttempt: boolean },
): Promise<Delivery> {
  const provider = providerFor(s, config);
  const result = await provider.send(
    await providerContext(s, config),
    to,
    message.content as unknown as OutboundContent,
    message.replyTo ?? undefined,
  );
  const now = s.clock.now();
  const event = (type: "message.sent" | "message.failed", row: MessageRow) =>
    s.events.publish(type, config.tenantId, messageEvent(row, who));
  if (result.ok) {
    const [[sent], , early] = await s.database.atomic((db) =>
      [
        db.update(messages).set({
          status: "sent",
          providerMessageId: result.providerMessageId,
          sentAt: now,
          errorCode: null,
          errorTitle: null,
          errorDetail: null,
        }).where(and(eq(messages.id, message.id), eq(messages.status, "pending"))).returning(),
        // WhatsApp's id for the number: recorded when it says something new (an old Brazilian form).
        db.update(contacts).set({ waId: result.waId ?? sql`${contacts.waId}` }).where(
          and(
            eq(contacts.id, message.contactId),
            isNull(contacts.deletedAt),
            result.waId ? sql`${contacts.waId} is distinct from ${result.waId}` : sql`false`,
          ),
        ),
        attachEarlyStatuses(db, config, result.providerMessageId, message.id),
      ] as const
    );
    // Statuses that beat the provider's answer here (rare): each moves the message on.
    const latest = await applyEarlyStatuses(s, message.id, early) ?? sent ?? message;
    await event("message.sent", latest);
    return { kind: "sent", message: latest };
  }
  if (result.error.retryable && !job?.finalAttempt) {
    const retry = {
      name: "whatsapp.send",
      payload: { message_id: message.id },
      opts: {
        delaySeconds: Math.ceil(defaultBackoffMs(1) / 1000),
        dedupeId: `whatsapp.send:${message.id}`,
      },
    };
    // A first attempt queues its retry with the error it met; the job retries through the queue.
    const [rows] = await s.jobs.enqueueMany(job ? [] : [retry], {
      with: (db) => [
        db.update(messages).set({
          errorCode: result.error.code,
          errorTitle: result.error.title,
          errorDetail: result.error.detail ?? null,
        }).where(eq(messages.id, message.id)).returning(),
      ],
    }) as [MessageRow[]];
    return { kind: "retry", message: rows[0] ?? message, error: result.error };
  }
  // Refused for good: the row says why, and the month's quota gets its use back.
  const [[failed]] = await s.database.atomic((db) =>
    [
      db.update(messages).set({
        status: "failed",
        failedAt: now,
        errorCode: result.error.code,
        errorTitle: result.error.title,
        errorDetail: result.error.detail ?? null,
      }).where(eq(messages.id, message.id)).returning(),
      releaseMonthlyStatement(db, config.tenantId, "messages", now),
    ] as const
  );
  await event("message.failed", failed ?? message);
  return { kind: "failed", message: failed ?? message, error: result.error };
}

/** Background retries of sends that met a transient failure (rate limits, outages). */
export function registerSendJobs(s: Services): void {
  s.jobRegistry.register("whatsapp.send", z.object({ message_id: z.uuid() }), async ({ message_id }, ctx) => {
    const [row] = await s.database.db.select({ message: messages, contact: contacts }).from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.contactId))
      .where(and(eq(messages.id, message_id), eq(messages.status, "pending")));
    if (!row) return; // sent meanwhile, or failed for good
    const config = await configById(s, row.message.configId);
    if (!config || !config.isActive) {
      const now = s.clock.now();
      await s.database.atomic((db) =>
        [
          db.update(messages).set({
            status: "failed",
            failedAt: now,
            errorCode: "number_unavailable",
            errorTitle: "The WhatsApp number was deactivated or deleted before the message could be sent",
          }).where(eq(messages.id, message_id)),
          releaseMonthlyStatement(db, row.message.tenantId, "messages", now),
        ] as const
      );
      return;
    }
    const outcome = await deliver(
      s,
      config,
      row.message,
      row.contact.waId ?? row.contact.phone.slice(1),
      contactSummary(row.contact),
      { finalAttempt: ctx.attempt >= ctx.maxAttempts },
    );
    if (outcome.kind === "retry") throw new Error(`${outcome.error.code}: ${outcome.error.title}`);
  }, { maxAttempts: 6 });
}
