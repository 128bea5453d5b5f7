import { and, desc, eq, type SQL } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../platform/db/database.ts";
import { countOf } from "../platform/db/query-helpers.ts";
import { allReads, readQuery, runReads } from "../platform/db/reads.ts";
import type { Services } from "../services.ts";
import { type AttemptResult, postEvent, webhookBody } from "./deliver-webhooks.ts";
import { endpointRead, type EndpointRow, findEndpoint } from "./manage-webhooks.ts";
import { PING_EVENT } from "./webhook-events.ts";

type AttemptRow = typeof webhookAttempts.$inferSelect;

export function attemptView(a: AttemptRow) {
  return {
    id: a.id,
    event_id: a.eventId,
    event_type: a.eventType,
    delivery_id: a.deliveryId,
    attempt: a.attempt,
    outcome: a.outcome,
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    response_excerpt: a.responseExcerpt,
    error: a.error,
    manual: a.manual,
    created_at: a.createdAt.toISOString(),
  };
}

export type AttemptView = ReturnType<typeof attemptView>;

/**
 * Every attempt of the caller's endpoint `id`, newest first, by event or outcome: the endpoint, the
 * page and its total in one batch (`endpoint` undefined: not the caller's).
 */
export async function endpointLog(
  s: Services,
  p: Principal,
  id: string,
  q: PageParams & { event_id?: string; outcome?: AttemptRow["outcome"]; event_type?: string },
) {
  const filters: SQL[] = [eq(webhookAttempts.webhookId, id), eq(webhookAttempts.tenantId, p.tenantId!)];
  if (q.event_id) filters.push(eq(webhookAttempts.eventId, q.event_id));
  if (q.outcome) filters.push(eq(webhookAttempts.outcome, q.outcome));
  if (q.event_type) filters.push(eq(webhookAttempts.eventType, q.event_type));
  const where = and(...filters);
  const r = await runReads(
    s.database,
    allReads({
      endpoint: endpointRead(p, id),
      rows: readQuery((db) =>
        db.select().from(webhookAttempts).where(where)
          .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id)).limit(q.limit).offset(
            offsetOf(q),
          )
      ),
      total: readQuery((db) => countOf(db, webhookAttempts, where)),
    }),
  );
  return { endpoint: r.endpoint, data: r.rows.map(attemptView), total: r.total[0].n };
}

async function record(
  s: Services,
  meta: RequestMeta,
  endpoint: EndpointRow,
  event: { id: string; type: string; deliveryId: string | null; attempt: number },
  result: AttemptResult,
  action: string,
  extra: (db: Db) => BatchItem<"pg">[] = () => [],
): Promise<AttemptView> {
  const now = s.clock.now();
  const row: AttemptRow = {
    id: uuidv7(),
    tenantId: endpoint.tenantId,
    webhookId: endpoint.id,
    deliveryId: event.deliveryId,
    eventId: event.id,
    eventType: event.type,
    attempt: event.attempt,
    outcome: result.kind === "success" ? "success" : "failed",
    statusCode: result.statusCode,
    latencyMs: result.latencyMs,
    responseExcerpt: result.excerpt,
    error: result.error,
    manual: true,
    createdAt: now,
  };
  await s.database.atomic((db) =>
    [
      db.insert(webhookAttempts).values(row),
      auditInsert(db, meta, {
        action,
        targetType: "webhook",
        targetId: endpoint.id,
        metadata: { event_id: event.id, outcome: row.outcome, status_code: row.statusCode },
      }, now),
      ...extra(db),
    ] as const
  );
  return attemptView(row);
}

/**
 * Sends a signed `ping` event now and says what came back. It goes to disabled endpoints too
 * (checking a fix before turning one back on is the point), and does not count as a failure.
 */
export async function testEndpoint(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<AttemptView & { delivered: boolean }>> {
  const endpoint = await findEndpoint(s, p, id);
  if (!endpoint) return fail("not_found", "Webhook not found");
  const event = {
    id: uuidv7(),
    type: PING_EVENT,
    createdAt: s.clock.now().toISOString(),
    tenantId: endpoint.tenantId,
    data: { webhook_id: endpoint.id, message: "PyTake webhook test" },
  };
  const result = await postEvent(s, endpoint, webhookBody(event), {
    eventId: event.id,
    eventType: event.type,
    attempt: 1,
  });
  const view = await record(
    s,
    meta,
    endpoint,
    { ...event, deliveryId: null, attempt: 1 },
    result,
    "webhook.test",
  );
  return ok({ ...view, delivered: result.kind === "success" });
}

/**
 * Sends one event to the endpoint again, now, whatever became of it before (delivered, given
 * up, still waiting for its next attempt). A success completes a delivery still pending or
 * failed; a failure leaves its schedule as it was.
 */
export async function retryEvent(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  eventId: string,
): Promise<Result<AttemptView & { delivered: boolean }>> {
  const endpoint = await findEndpoint(s, p, id);
  if (!endpoint) return fail("not_found", "Webhook not found");
  if (!endpoint.isActive) {
    return fail(
      "conflict",
      "This endpoint is disabled; turn it back on (is_active: true) first, or use test",
    );
  }
  const [delivery] = await s.database.db.select().from(webhookDeliveries).where(
    and(eq(webhookDeliveries.webhookId, endpoint.id), eq(webhookDeliveries.eventId, eventId)),
  );
  if (!delivery) return fail("not_found", "This event was never sent to this endpoint");
  const attempt = delivery.attempts + 1;
  const result = await postEvent(s, endpoint, delivery.payload, {
    eventId,
    eventType: delivery.eventType,
    deliveryId: delivery.id,
    attempt,
  });
  const now = s.clock.now();
  const view = await record(
    s,
    meta,
    endpoint,
    { id: eventId, type: delivery.eventType, deliveryId: delivery.id, attempt },
    result,
    "webhook.retry",
    (db) =>
      result.kind === "success"
        ? [
          db.update(webhookDeliveries).set({
            status: "succeeded",
            attempts: attempt,
            nextAttemptAt: null,
            lastStatusCode: result.statusCode,
            lastError: null,
            completedAt: now,
            updatedAt: now,
          }).where(eq(webhookDeliveries.id, delivery.id)),
          db.update(webhookEndpoints).set({ lastSuccessAt: now, failingSince: null })
            .where(eq(webhookEndpoints.id, endpoint.id)),
        ]
        : [],
  );
  return ok({ ...view, delivered: result.kind === "success" });
}
