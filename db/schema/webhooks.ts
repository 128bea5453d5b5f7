import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

/**
 * A tenant's endpoint for outgoing webhooks: which events it wants, the secret that signs them
 * (sealed), and its health. `failing_since` is the first failure after the last success; an
 * endpoint failing for a day is switched off (`disabled_at`, `disabled_reason`).
 */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  url: text("url").notNull(),
  description: text("description"),
  /** Event types, or `*` for all of them. */
  events: text("events").array().notNull(),
  secret: text("secret").notNull(),
  /** The last characters of the secret, to tell secrets apart without showing them. */
  secretHint: text("secret_hint").notNull(),
  isActive: boolean("is_active").notNull().default(true),
  disabledAt: timestamptz("disabled_at"),
  disabledReason: text("disabled_reason"),
  failingSince: timestamptz("failing_since"),
  lastSuccessAt: timestamptz("last_success_at"),
  lastFailureAt: timestamptz("last_failure_at"),
  createdBy: uuid("created_by").references(() => users.id),
  deletedAt: timestamptz("deleted_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.createdAt)]);

export const webhookDeliveryStatuses = ["pending", "succeeded", "failed", "cancelled"] as const;

/**
 * One event for one endpoint: the exact body sent, and where its delivery stands. Unique per
 * endpoint and event, so an event is never queued twice for the same endpoint.
 */
export const webhookDeliveries = pgTable("webhook_deliveries", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  webhookId: uuid("webhook_id").notNull().references(() => webhookEndpoints.id),
  eventId: uuid("event_id").notNull(),
  eventType: text("event_type").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  status: text("status", { enum: webhookDeliveryStatuses }).notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: timestamptz("next_attempt_at"),
  lastStatusCode: integer("last_status_code"),
  lastError: text("last_error"),
  completedAt: timestamptz("completed_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("webhook_deliveries_event_key").on(t.webhookId, t.eventId),
  index("webhook_deliveries_pending_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
]);

/** Every attempt at a delivery (and every test ping): the endpoint's log. */
export const webhookAttempts = pgTable("webhook_attempts", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  webhookId: uuid("webhook_id").notNull().references(() => webhookEndpoints.id),
  deliveryId: uuid("delivery_id"),
  eventId: uuid("event_id").notNull(),
  eventType: text("event_type").notNull(),
  attempt: integer("attempt").notNull(),
  /** `success`, `retry` (will be tried again), `failed` (given up or not retryable). */
  outcome: text("outcome", { enum: ["success", "retry", "failed"] }).notNull(),
  statusCode: integer("status_code"),
  latencyMs: integer("latency_ms").notNull(),
  responseExcerpt: text("response_excerpt"),
  error: text("error"),
  /** Started by a person (`test`, `retry`) rather than by the event. */
  manual: boolean("manual").notNull().default(false),
  createdAt: createdAt(),
}, (t) => [
  index("webhook_attempts_webhook_idx").on(t.webhookId, t.createdAt),
  index("webhook_attempts_event_idx").on(t.webhookId, t.eventId),
]);
