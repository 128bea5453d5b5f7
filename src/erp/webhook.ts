import { z } from "@hono/zod-openapi";
import { and, eq, lt, sql } from "drizzle-orm";
import { erpConnections, erpWebhookEvents } from "../../db/schema/index.ts";
import { sha256Hex } from "../core/crypto.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { EventType } from "../events/events.ts";
import type { Services } from "../services.ts";
import { cents, isoDate, isoDateTime, str } from "./adapters/common.ts";
import { forgetCachedCustomer } from "./erp-service.ts";
import type { ErpType } from "./model.ts";
import { markSandboxInvoicePaid } from "./sandbox/sandbox-erp.ts";

/**
 * `POST /erp/{erp_type}/webhook`: what the provider's ERP tells us happened (a payment, an
 * unlock done at the counter, a ticket answered by a technician). None of the four ERPs has a
 * documented webhook format (shared/reference/isp-erps.md), so the provider points the ERP's
 * automation, or a small script, at this URL with the shape below. The caller is matched by the
 * connection's webhook secret (header `X-Webhook-Secret`, `Authorization: Bearer`, or
 * `?secret=`, for ERPs that can only set a URL), the body is stored raw and deduplicated (by its
 * `id`, else its hash) before the 200, and processing publishes the domain event.
 */

export const ErpWebhookBody = z.object({
  event: z.enum(["payment_received", "customer_unblocked", "ticket_updated"]).openapi({
    example: "payment_received",
  }),
  id: z.string().trim().min(1).max(200).optional().openapi({
    description: "The ERP's id for this event; a repeat with the same id is ignored.",
    example: "evt-2026-12-04-000123",
  }),
  occurred_at: z.string().max(40).optional().openapi({ example: "2026-12-04T14:03:00-03:00" }),
  data: z.object({
    customer_id: z.string().trim().max(64).optional().openapi({ example: "10234" }),
    contract_id: z.string().trim().max(64).optional(),
    invoice_id: z.string().trim().max(64).optional().openapi({ example: "884512" }),
    amount: z.union([z.number(), z.string().max(32)]).optional().openapi({
      description: 'In reais (89.9, "89,90"); or send `amount_cents`.',
    }),
    amount_cents: z.number().int().min(0).optional(),
    paid_at: z.string().max(40).optional(),
    until: z.string().max(40).optional().openapi({ description: "Unlocked until (a date)." }),
    ticket_id: z.string().trim().max(64).optional(),
    protocol: z.string().trim().max(64).optional(),
    status: z.string().trim().max(40).optional(),
    message: z.string().max(4000).optional(),
  }),
});

export type ErpWebhookPayload = z.infer<typeof ErpWebhookBody>;

const EVENT_TYPES: Record<ErpWebhookPayload["event"], EventType> = {
  payment_received: "erp.payment_received",
  customer_unblocked: "erp.customer_unblocked",
  ticket_updated: "erp.ticket_updated",
};

/** The connection a secret belongs to (of this ERP type, still connected). */
export async function authenticateErpWebhook(
  s: Services,
  type: ErpType,
  secret: string | undefined,
): Promise<{ tenantId: string; connectionId: string } | null> {
  if (!secret || secret.length < 16 || secret.length > 200) return null;
  const [row] = await s.database.db.select({ id: erpConnections.id, tenantId: erpConnections.tenantId })
    .from(erpConnections).where(and(
      eq(erpConnections.webhookSecretHash, await sha256Hex(secret)),
      eq(erpConnections.erpType, type),
      sql`${erpConnections.status} <> 'disconnected'`,
    ));
  return row ? { tenantId: row.tenantId, connectionId: row.id } : null;
}

/** Stores the call before the 200; a repeat (same event id, or same bytes) is a duplicate. */
export async function storeErpWebhook(
  s: Services,
  auth: { tenantId: string; connectionId: string },
  type: ErpType,
  raw: string,
  payload: ErpWebhookPayload,
): Promise<{ id: string; duplicate: boolean }> {
  const dedupeKey = payload.id ? `id:${payload.id}` : `sha256:${await sha256Hex(raw)}`;
  const id = uuidv7();
  const inserted = await s.database.db.insert(erpWebhookEvents).values({
    id,
    tenantId: auth.tenantId,
    connectionId: auth.connectionId,
    erpType: type,
    dedupeKey,
    rawBody: raw,
    receivedAt: s.clock.now(),
  }).onConflictDoNothing().returning({ id: erpWebhookEvents.id });
  return inserted.length ? { id, duplicate: false } : { id: "", duplicate: true };
}

function eventData(type: ErpType, p: ErpWebhookPayload): Result<Record<string, unknown>> {
  const d = p.data;
  const base = {
    erp_type: type,
    source: "erp",
    erp_event_id: p.id ?? null,
    occurred_at: isoDateTime(p.occurred_at) ?? null,
  };
  switch (p.event) {
    case "payment_received": {
      if (!d.customer_id && !d.invoice_id) {
        return fail("validation_failed", "payment_received needs customer_id or invoice_id");
      }
      return ok({
        ...base,
        customer_id: d.customer_id ?? null,
        invoice_id: d.invoice_id ?? null,
        amount_cents: d.amount_cents ?? cents(d.amount),
        paid_at: isoDateTime(d.paid_at) ??
          (isoDate(d.paid_at) ? `${isoDate(d.paid_at)}T12:00:00.000Z` : null),
      });
    }
    case "customer_unblocked":
      if (!d.customer_id) return fail("validation_failed", "customer_unblocked needs customer_id");
      return ok({
        ...base,
        customer_id: d.customer_id,
        contract_id: d.contract_id ?? null,
        until: isoDate(d.until),
      });
    case "ticket_updated":
      if (!d.ticket_id) return fail("validation_failed", "ticket_updated needs ticket_id");
      return ok({
        ...base,
        change: "updated",
        ticket: {
          id: d.ticket_id,
          protocol: d.protocol ?? null,
          customer_id: d.customer_id ?? null,
          status: str(d.status),
          message: d.message ?? null,
        },
      });
  }
}

/** Publishes the event of one stored call and marks it; failures stay pending for the sweep. */
export async function processErpWebhook(s: Services, eventId: string): Promise<void> {
  const [row] = await s.database.db.select().from(erpWebhookEvents).where(eq(erpWebhookEvents.id, eventId));
  if (!row || row.status !== "pending") return;
  const now = s.clock.now();
  try {
    const payload = ErpWebhookBody.parse(JSON.parse(row.rawBody));
    const data = eventData(row.erpType, payload);
    if (!data.ok) {
      await s.database.db.update(erpWebhookEvents).set({
        status: "failed",
        error: data.failure.detail,
        attempts: sql`${erpWebhookEvents.attempts} + 1`,
        processedAt: now,
      }).where(eq(erpWebhookEvents.id, eventId));
      return;
    }
    // Claimed by the update that marks it, so a sweep running alongside does not publish it twice.
    const claimed = await s.database.db.update(erpWebhookEvents).set({
      status: "processed",
      attempts: sql`${erpWebhookEvents.attempts} + 1`,
      processedAt: now,
    }).where(and(eq(erpWebhookEvents.id, eventId), eq(erpWebhookEvents.status, "pending")))
      .returning({ id: erpWebhookEvents.id });
    if (claimed.length === 0) return;
    const customerId = data.value.customer_id as string | null | undefined;
    if (customerId) await forgetCachedCustomer(s, row.connectionId, customerId);
    if (row.erpType === "sandbox" && payload.event === "payment_received" && payload.data.invoice_id) {
      // The sandbox is its own ERP: a payment it is told about is recorded, as the ERP would have.
      await markSandboxInvoicePaid(s, row.tenantId, payload.data.invoice_id, now);
    }
    await s.events.publish(EVENT_TYPES[payload.event], row.tenantId, data.value);
  } catch (err) {
    await s.database.db.update(erpWebhookEvents).set({
      status: "pending",
      error: (err as Error).message?.slice(0, 500) ?? "processing failed",
      attempts: sql`${erpWebhookEvents.attempts} + 1`,
    }).where(eq(erpWebhookEvents.id, eventId));
    throw err;
  }
}

/** The minute sweep: calls stored but left pending (the request died before processing). */
export async function sweepErpWebhooks(s: Services): Promise<void> {
  const stale = new Date(s.clock.now().getTime() - 60_000);
  const rows = await s.database.db.select({ id: erpWebhookEvents.id }).from(erpWebhookEvents)
    .where(and(
      eq(erpWebhookEvents.status, "pending"),
      lt(erpWebhookEvents.receivedAt, stale),
      lt(erpWebhookEvents.attempts, 10),
    )).limit(100);
  for (const r of rows) await processErpWebhook(s, r.id).catch(() => {});
}
