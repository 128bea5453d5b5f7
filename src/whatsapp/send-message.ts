import { z } from "@hono/zod-openapi";
import { and, eq, isNull, sql } from "drizzle-orm";
import { contacts, conversations, messages, tenants } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { defaultBackoffMs } from "../platform/jobs/jobs.ts";
import type { Services } from "../services.ts";
import { limitsOf } from "../tenants/plans.ts";
import { consumeMonthly, releaseMonthly } from "../tenants/usage.ts";
import { resolveSendingConfig } from "./configs/manage-configs.ts";
import { mayActOn } from "../conversations/conversation-rules.ts";
import { upsertContact } from "./contact-upsert.ts";
import { openConversation } from "./conversation-open.ts";
import { configById } from "./inbound/apply-events.ts";
import { attachEarlyStatuses } from "./message-status.ts";
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
 * Sends one message. The row exists (`pending`) before the provider is called, so nothing is
 * lost; a transient provider failure leaves it pending and retries it through the job queue; a
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
  const config = resolved.value;
  const phone = toE164(input.to);
  if (!phone) {
    return fail("validation_failed", "`to` is not a valid phone number", {
      errors: [{ path: "body.to", message: "Not a valid phone number (E.164 like +5511999999999)" }],
    });
  }
  const { contact } = await upsertContact(s, tenantId, { phone });
  if (contact.blocked) return fail("conflict", "This contact is blocked; unblock it to send");
  const { conversation } = await openConversation(s, tenantId, contact.id, config.id);
  if (!mayActOn(p, conversation)) {
    return fail("forbidden", "This conversation is assigned to another agent");
  }
  const now = s.clock.now();
  if (
    windowApplies(config, input.content) &&
    !(conversation.windowExpiresAt && conversation.windowExpiresAt > now)
  ) {
    return fail(
      "window_closed",
      "More than 24 hours since the customer last wrote (or they never did): only a template message can start the conversation",
      { extensions: { window_expires_at: conversation.windowExpiresAt?.toISOString() ?? null } },
    );
  }
  let replyTo: string | undefined;
  if (input.replyToMessageId) {
    const [quoted] = await s.database.db.select({ providerMessageId: messages.providerMessageId }).from(
      messages,
    )
      .where(and(eq(messages.id, input.replyToMessageId), eq(messages.tenantId, tenantId)));
    if (!quoted?.providerMessageId) {
      return fail("validation_failed", "The message to reply to does not exist or was never delivered", {
        errors: [{ path: "body.reply_to_message_id", message: "Unknown message" }],
      });
    }
    replyTo = quoted.providerMessageId;
  }

  const throughput = await s.rateLimiter.limit(`wa:tput:${config.id}`, {
    limit: config.throughputPerSecond,
    windowSeconds: 1,
  });
  if (!throughput.success) {
    return fail(
      "rate_limited",
      `This number sends at most ${config.throughputPerSecond} messages per second`,
      {
        extensions: { retry_after_ms: Math.max(0, throughput.reset - now.getTime()) },
      },
    );
  }
  // The plan authentication already looked up; a database read only when called without one.
  const plan = p.kind !== "scrape" && p.plan ? p.plan : (await s.database.db.select({ plan: tenants.plan })
    .from(tenants).where(eq(tenants.id, tenantId)))[0].plan;
  const tenant = { plan };
  const limit = limitsOf(tenant.plan).messages_per_month;
  const quota = await consumeMonthly(s, tenantId, "messages", limit);
  if (!quota.ok) {
    return fail(
      "quota_exceeded",
      `The ${tenant.plan} plan allows ${limit} messages a month; upgrade to send more`,
      {
        extensions: { limit: "messages_per_month", max: limit },
      },
    );
  }

  const pending: MessageRow = {
    id: uuidv7(),
    tenantId,
    conversationId: conversation.id,
    contactId: contact.id,
    configId: config.id,
    direction: "outbound",
    type: input.content.type,
    content: input.content as unknown as Record<string, unknown>,
    body: bodyOf(input.content),
    status: "pending",
    providerMessageId: null,
    replyTo: replyTo ?? null,
    senderType: p.kind === "api_key" ? "api" : "agent",
    senderUserId: p.kind === "user" ? p.userId : null,
    errorCode: null,
    errorTitle: null,
    errorDetail: null,
    retryOf: input.retryOf ?? null,
    sentAt: null,
    deliveredAt: null,
    readAt: null,
    failedAt: null,
    timestamp: now,
    createdAt: now,
  };
  // The row and the conversation's activity in one statement, before the provider is called.
  const { db } = s.database;
  const stored = db.$with("stored").as(db.insert(messages).values(pending).returning({ id: messages.id }));
  await db.with(stored).update(conversations).set({
    lastMessageAt: now,
    updatedAt: now,
    // An agent's first answer after the customer wrote is the conversation's first response.
    ...(p.kind === "user"
      ? {
        firstResponseAt:
          sql`coalesce(${conversations.firstResponseAt}, case when ${conversations.lastInboundAt} is not null then ${now.toISOString()}::timestamptz end)`,
      }
      : {}),
  }).where(and(eq(conversations.id, conversation.id), sql`exists (select 1 from ${stored})`));

  const attempt = await deliver(s, config, pending, contact.waId ?? phone.slice(1));
  if (attempt.kind === "sent") return ok({ message: messageView(attempt.message), outcome: "sent" });
  if (attempt.kind === "retry") {
    await s.jobs.enqueue("whatsapp.send", { message_id: pending.id }, {
      delaySeconds: Math.ceil(defaultBackoffMs(1) / 1000),
      dedupeId: `whatsapp.send:${pending.id}`,
    });
    return ok({ message: messageView(attempt.message), outcome: "queued" });
  }
  await releaseMonthly(s, tenantId, "messages");
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

/** One provider call for a pending message, and what it means for the row. */
export async function deliver(
  s: Services,
  config: ConfigRow,
  message: MessageRow,
  to: string,
  opts: { finalAttempt?: boolean } = {},
): Promise<Delivery> {
  const provider = providerFor(s, config);
  const result = await provider.send(
    await providerContext(s, config),
    to,
    message.content as unknown as OutboundContent,
    message.replyTo ?? undefined,
  );
  const now = s.clock.now();
  const { db } = s.database;
  if (result.ok) {
    const [sent] = await db.update(messages).set({
      status: "sent",
      providerMessageId: result.providerMessageId,
      sentAt: now,
      errorCode: null,
      errorTitle: null,
      errorDetail: null,
    }).where(and(eq(messages.id, message.id), eq(messages.status, "pending"))).returning();
    if (result.waId) {
      // WhatsApp's id for the number: recorded when it says something new (an old Brazilian form).
      await db.update(contacts).set({ waId: result.waId }).where(
        and(
          eq(contacts.id, message.contactId),
          isNull(contacts.deletedAt),
          sql`${contacts.waId} is distinct from ${result.waId}`,
        ),
      );
    }
    const latest = await attachEarlyStatuses(s, config, result.providerMessageId, message.id) ?? sent ??
      message;
    await s.events.publish("message.sent", config.tenantId, { message: messageView(latest) });
    return { kind: "sent", message: latest };
  }
  if (result.error.retryable && !opts.finalAttempt) {
    const [row] = await db.update(messages).set({
      errorCode: result.error.code,
      errorTitle: result.error.title,
      errorDetail: result.error.detail ?? null,
    }).where(eq(messages.id, message.id)).returning();
    return { kind: "retry", message: row ?? message, error: result.error };
  }
  const [failed] = await db.update(messages).set({
    status: "failed",
    failedAt: now,
    errorCode: result.error.code,
    errorTitle: result.error.title,
    errorDetail: result.error.detail ?? null,
  }).where(eq(messages.id, message.id)).returning();
  await s.events.publish("message.failed", config.tenantId, { message: messageView(failed ?? message) });
  return { kind: "failed", message: failed ?? message, error: result.error };
}

/** Background retries of sends that met a transient failure (rate limits, outages). */
export function registerSendJobs(s: Services): void {
  s.jobRegistry.register("whatsapp.send", z.object({ message_id: z.uuid() }), async ({ message_id }, ctx) => {
    const { db } = s.database;
    const [row] = await db.select({ message: messages, contact: contacts }).from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.contactId))
      .where(and(eq(messages.id, message_id), eq(messages.status, "pending")));
    if (!row) return; // sent meanwhile, or failed for good
    const config = await configById(s, row.message.configId);
    if (!config || !config.isActive) {
      await db.update(messages).set({
        status: "failed",
        failedAt: s.clock.now(),
        errorCode: "number_unavailable",
        errorTitle: "The WhatsApp number was deactivated or deleted before the message could be sent",
      }).where(eq(messages.id, message_id));
      return;
    }
    const outcome = await deliver(s, config, row.message, row.contact.waId ?? row.contact.phone.slice(1), {
      finalAttempt: ctx.attempt >= ctx.maxAttempts,
    });
    if (outcome.kind === "retry") throw new Error(`${outcome.error.code}: ${outcome.error.title}`);
    if (outcome.kind === "failed") await releaseMonthly(s, config.tenantId, "messages");
  }, { maxAttempts: 6 });
}
