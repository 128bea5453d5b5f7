import { z } from "@hono/zod-openapi";
import { and, eq, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import {
  tenants,
  users,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from "../../db/schema/index.ts";
import { audit } from "../audit/audit-log.ts";
import { uuidv7 } from "../core/ids.ts";
import type { DomainEvent } from "../events/events.ts";
import { guardedFetch, OutboundRefused } from "../platform/http/guarded-fetch.ts";
import type { Services } from "../services.ts";
import { activeEndpoints, forgetEndpoints } from "./endpoint-cache.ts";
import type { EndpointRow } from "./manage-webhooks.ts";
import { endpointDisabledMail } from "./webhook-mails.ts";
import { deliverable, wants } from "./webhook-events.ts";
import { signatureHeader } from "./webhook-signature.ts";

/**
 * Seconds to wait after each failed attempt: about a day in all (23.7 h over 10 attempts), each
 * stretched or shrunk by up to 20% so endpoints coming back are not hit by every retry at once.
 */
export const RETRY_DELAYS_S = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800];
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1;
/** An endpoint that has failed for this long without one success is switched off. */
export const DISABLE_AFTER_MS = 24 * 3600_000;
export const TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 1024;

export const retryDelaySeconds = (attempt: number, random = Math.random()): number =>
  Math.round(RETRY_DELAYS_S[Math.min(attempt, RETRY_DELAYS_S.length) - 1] * (0.8 + 0.4 * random));

/** The JSON every endpoint receives. */
export function webhookBody(
  event: Pick<DomainEvent, "id" | "createdAt" | "tenantId" | "data"> & { type: string },
) {
  return {
    id: event.id,
    event: event.type,
    created_at: event.createdAt,
    tenant_id: event.tenantId,
    data: event.data,
  };
}

export interface AttemptResult {
  kind: "success" | "retryable" | "permanent";
  statusCode: number | null;
  latencyMs: number;
  excerpt: string | null;
  error: string | null;
}

/**
 * One signed POST. 2xx: delivered. Network errors, timeouts, 5xx, 408 and 429: worth retrying.
 * Any other answer (a 4xx, a redirect) will not change by retrying: the endpoint must be fixed.
 */
export async function postEvent(
  s: Services,
  endpoint: Pick<EndpointRow, "url" | "secret">,
  payload: Record<string, unknown>,
  headers: { eventId: string; eventType: string; deliveryId?: string; attempt: number },
): Promise<AttemptResult> {
  const body = JSON.stringify(payload);
  const secret = await s.secrets.open<string>(endpoint.secret);
  const t = Math.floor(s.clock.now().getTime() / 1000);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await guardedFetch(s, endpoint.url, {
      method: "POST",
      timeoutMs: TIMEOUT_MS,
      headers: {
        "content-type": "application/json",
        "user-agent": "PyTake-Webhooks/1.0",
        "x-pytake-signature": await signatureHeader(secret, body, t),
        "x-pytake-event-id": headers.eventId,
        "x-pytake-event-type": headers.eventType,
        "x-pytake-attempt": String(headers.attempt),
        ...(headers.deliveryId ? { "x-pytake-delivery-id": headers.deliveryId } : {}),
      },
      body,
    });
    const text = await res.text().catch(() => "");
    const excerpt = text.slice(0, EXCERPT_CHARS) || null;
    const kind = res.status >= 200 && res.status < 300
      ? "success"
      : res.status >= 500 || res.status === 408 || res.status === 429
      ? "retryable"
      : "permanent";
    return {
      kind,
      statusCode: res.status,
      latencyMs: elapsed(),
      excerpt,
      error: kind === "success"
        ? null
        : `HTTP ${res.status}${res.status >= 300 && res.status < 400 ? " (redirects are not followed)" : ""}`,
    };
  } catch (err) {
    const refused = err instanceof OutboundRefused;
    const timeout = err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      kind: refused ? "permanent" : "retryable",
      statusCode: null,
      latencyMs: elapsed(),
      excerpt: null,
      error: refused
        ? `refused: ${err.message}`
        : timeout
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : `network error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
    };
  }
}

/**
 * Each event becomes one delivery per endpoint that wants it, stored in the same unit of work as
 * the jobs that will send them (one round trip for all the events of a request, none when no
 * endpoint wants them), so an event that reached the table is never lost: if queueing fails the
 * sweep queues it later.
 */
export async function fanOut(s: Services, events: DomainEvent[]): Promise<void> {
  const wanted = events.filter((e) => deliverable(e.type));
  if (wanted.length === 0) return;
  const endpointsOf = new Map<string, Awaited<ReturnType<typeof activeEndpoints>>>();
  for (const tenantId of new Set(wanted.map((e) => e.tenantId))) {
    endpointsOf.set(tenantId, await activeEndpoints(s, tenantId));
  }
  const now = s.clock.now();
  const rows = wanted.flatMap((event) => {
    const payload = webhookBody(event);
    return endpointsOf.get(event.tenantId)!.filter((e) => wants(e.events, event.type)).map((e) => ({
      id: uuidv7(),
      tenantId: event.tenantId,
      webhookId: e.id,
      eventId: event.id,
      eventType: event.type,
      payload,
      status: "pending" as const,
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    }));
  });
  if (rows.length === 0) return;
  await s.jobs.enqueueMany(
    rows.map((d) => ({
      name: "webhooks.deliver",
      payload: { delivery_id: d.id },
      opts: { dedupeId: `webhook:${d.id}:0` },
    })),
    { with: (db) => [db.insert(webhookDeliveries).values(rows).onConflictDoNothing()] },
  );
}

/**
 * One attempt at a delivery, recorded with its outcome; a retryable failure books the next
 * attempt. If the process dies after the POST but before the record, the job runs again and
 * the endpoint receives the event a second time with the same `X-PyTake-Event-Id`: delivery is
 * at least once, and receivers deduplicate by that id.
 */
export async function attemptDelivery(s: Services, deliveryId: string): Promise<void> {
  const [found] = await s.database.db.select({ d: webhookDeliveries, e: webhookEndpoints })
    .from(webhookDeliveries).innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.webhookId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!found || found.d.status !== "pending") return;
  const { d, e } = found;
  if (e.deletedAt || !e.isActive) {
    await s.database.db.update(webhookDeliveries).set({
      status: "cancelled",
      lastError: e.deletedAt ? "endpoint deleted" : "endpoint disabled",
      completedAt: s.clock.now(),
      updatedAt: s.clock.now(),
    }).where(and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.status, "pending")));
    return;
  }
  const attempt = d.attempts + 1;
  const result = await postEvent(s, e, d.payload, {
    eventId: d.eventId,
    eventType: d.eventType,
    deliveryId: d.id,
    attempt,
  });
  const now = s.clock.now();
  const outcome = result.kind === "success"
    ? "success"
    : result.kind === "retryable" && attempt < MAX_ATTEMPTS
    ? "retry"
    : "failed";
  const delay = outcome === "retry" ? retryDelaySeconds(attempt) : 0;
  const [recorded] = await s.database.atomic((db) =>
    [
      // Recorded only by the run that made this attempt (two runs racing record one).
      db.update(webhookDeliveries).set({
        status: outcome === "success" ? "succeeded" : outcome === "retry" ? "pending" : "failed",
        attempts: attempt,
        nextAttemptAt: outcome === "retry" ? new Date(now.getTime() + delay * 1000) : null,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        completedAt: outcome === "retry" ? null : now,
        updatedAt: now,
      }).where(and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.attempts, d.attempts)))
        .returning({ id: webhookDeliveries.id }),
      db.insert(webhookAttempts).values({
        id: uuidv7(),
        tenantId: d.tenantId,
        webhookId: e.id,
        deliveryId: d.id,
        eventId: d.eventId,
        eventType: d.eventType,
        attempt,
        outcome,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        responseExcerpt: result.excerpt,
        error: result.error,
        manual: false,
        createdAt: now,
      }),
      db.update(webhookEndpoints).set(
        outcome === "success" ? { lastSuccessAt: now, failingSince: null } : {
          lastFailureAt: now,
          failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now.toISOString()}::timestamptz)`,
        },
      ).where(eq(webhookEndpoints.id, e.id)),
    ] as const
  );
  if (recorded.length === 0) return;
  if (outcome === "retry") {
    await s.jobs.enqueue("webhooks.deliver", { delivery_id: d.id }, {
      delaySeconds: delay,
      dedupeId: `webhook:${d.id}:${attempt}`,
    });
  }
  if (outcome !== "success") await disableIfFailingTooLong(s, e.id);
}

/**
 * Switches off an endpoint that has failed for a day without one success, and tells the
 * tenant's owners and admins by mail; the audit log and the endpoint itself say why.
 */
export async function disableIfFailingTooLong(s: Services, endpointId: string): Promise<boolean> {
  const now = s.clock.now();
  const [off] = await s.database.db.update(webhookEndpoints).set({
    isActive: false,
    disabledAt: now,
    disabledReason:
      sql`'Failing since ' || to_char(${webhookEndpoints.failingSince} at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') || ' without a success'`,
    updatedAt: now,
  }).where(and(
    eq(webhookEndpoints.id, endpointId),
    eq(webhookEndpoints.isActive, true),
    lte(webhookEndpoints.failingSince, new Date(now.getTime() - DISABLE_AFTER_MS)),
  )).returning();
  if (!off) return false;
  forgetEndpoints(s, off.tenantId);
  s.obs.log.warn("webhook endpoint disabled", { tenant_id: off.tenantId, webhook_id: off.id, url: off.url });
  await audit(s, { ip: null, userAgent: null, requestId: uuidv7() }, {
    action: "webhook.disable",
    tenantId: off.tenantId,
    targetType: "webhook",
    targetId: off.id,
    actor: { type: "system" },
    metadata: { url: off.url, reason: off.disabledReason, failing_since: off.failingSince?.toISOString() },
  });
  const [tenant] = await s.database.db.select({ settings: tenants.settings }).from(tenants)
    .where(eq(tenants.id, off.tenantId));
  const admins = await s.database.db.select({ email: users.email, name: users.name }).from(users).where(and(
    eq(users.tenantId, off.tenantId),
    inArray(users.role, ["owner", "admin"]),
    eq(users.status, "active"),
    isNull(users.deletedAt),
  ));
  for (const a of admins) {
    await s.mailer.send({
      ...endpointDisabledMail(
        a.email,
        a.name,
        off.url,
        off.disabledReason ?? "",
        (tenant?.settings as { language?: string })?.language,
      ),
      tenantId: off.tenantId,
    });
  }
  return true;
}

/** Deliveries whose job was never queued or got lost: queued again (the dedupe id keeps them single). */
export async function sweepDeliveries(s: Services, limit = 500): Promise<number> {
  const cutoff = new Date(s.clock.now().getTime() - 120_000);
  const stale = await s.database.db.select({ id: webhookDeliveries.id, attempts: webhookDeliveries.attempts })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lt(webhookDeliveries.nextAttemptAt, cutoff)))
    .orderBy(webhookDeliveries.nextAttemptAt).limit(limit);
  for (const d of stale) {
    await s.jobs.enqueue("webhooks.deliver", { delivery_id: d.id }, {
      dedupeId: `webhook:${d.id}:${d.attempts}`,
    });
  }
  return stale.length;
}

const subscribed = new WeakSet<object>();

export function registerWebhookDelivery(s: Services): void {
  if (!subscribed.has(s.events)) {
    subscribed.add(s.events);
    s.events.subscribe((events) => fanOut(s, events));
  }
  s.jobRegistry.register("webhooks.deliver", z.object({ delivery_id: z.uuid() }), async ({ delivery_id }) => {
    await attemptDelivery(s, delivery_id);
  }, { maxAttempts: 5 });
}
