import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

export const erpTypeValues = ["ixc", "sgp", "mk", "hubsoft", "sandbox"] as const;
export const erpConnectionStatuses = ["connected", "error", "disconnected"] as const;

/**
 * A tenant's ERP, one row per ERP type (routes address it as `/erp/{erp_type}`). Credentials are
 * one AES-256-GCM box, only ever shown masked, and gone (null) after a disconnect; the row stays
 * so its call log keeps a name. The webhook secret is kept as its SHA-256: the ERP's calls are
 * matched by it, and the secret itself is shown once.
 */
export const erpConnections = pgTable("erp_connections", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  erpType: text("erp_type", { enum: erpTypeValues }).notNull(),
  apiUrl: text("api_url"),
  /** `v1.<iv>.<ciphertext>` of ErpCredentials; null once disconnected. */
  credentials: text("credentials"),
  webhookSecretHash: text("webhook_secret_hash"),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  status: text("status", { enum: erpConnectionStatuses }).notNull(),
  /** What the ERP said it is, when the test could tell (IXC's host, MK's authorised services). */
  remoteInfo: jsonb("remote_info").$type<Record<string, unknown>>(),
  lastError: text("last_error"),
  lastCheckedAt: timestamptz("last_checked_at"),
  connectedAt: timestamptz("connected_at"),
  disconnectedAt: timestamptz("disconnected_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("erp_connections_tenant_type_key").on(t.tenantId, t.erpType),
  uniqueIndex("erp_connections_webhook_key").on(t.webhookSecretHash).where(
    sql`${t.webhookSecretHash} is not null`,
  ),
]);

export const erpCallOutcomes = [
  "ok",
  "cached",
  "not_found",
  "refused",
  "erp_error",
  "bad_response",
  "network",
  "timeout",
  "circuit_open",
] as const;
export type ErpCallOutcome = typeof erpCallOutcomes[number];

/**
 * Every call made to an ERP (and every answer served from cache instead): operation, endpoint
 * with tokens redacted and CPFs masked, HTTP status, latency, the ERP's error. Written in the
 * background after the answer; kept after a disconnect.
 */
export const erpCallLogs = pgTable("erp_call_logs", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  erpType: text("erp_type", { enum: erpTypeValues }).notNull(),
  operation: text("operation").notNull(),
  method: text("method").notNull(),
  endpoint: text("endpoint").notNull(),
  outcome: text("outcome", { enum: erpCallOutcomes }).notNull(),
  httpStatus: integer("http_status"),
  latencyMs: integer("latency_ms").notNull(),
  attempt: integer("attempt").notNull().default(1),
  /** This call was made because the cache had no answer (the misses of the hit rate). */
  cacheMiss: boolean("cache_miss").notNull().default(false),
  error: text("error"),
  requestId: text("request_id"),
  createdAt: createdAt(),
}, (t) => [
  index("erp_call_logs_tenant_idx").on(t.tenantId, t.erpType, t.createdAt),
]);

/**
 * Trust unlocks we asked for, with our own once-per-period rule: the row is claimed by a
 * conditional insert before the ERP is called (two clicks cannot both unlock) and deleted if the
 * ERP refuses or fails.
 */
export const erpUnlocks = pgTable("erp_unlocks", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  erpType: text("erp_type", { enum: erpTypeValues }).notNull(),
  customerId: text("customer_id").notNull(),
  contractId: text("contract_id"),
  until: date("until"),
  protocol: text("protocol"),
  requestedBy: text("requested_by"),
  createdAt: createdAt(),
}, (t) => [index("erp_unlocks_customer_idx").on(t.tenantId, t.erpType, t.customerId, t.createdAt)]);

export const erpSyncStatuses = ["queued", "running", "completed", "failed"] as const;

/** A sync of ERP customers into contacts: progress counters and a per-customer report. */
export const erpSyncs = pgTable("erp_syncs", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  erpType: text("erp_type", { enum: erpTypeValues }).notNull(),
  createdBy: uuid("created_by").references(() => users.id),
  mode: text("mode", { enum: ["full", "documents"] }).notNull(),
  /** For `documents` mode: the CPFs/CNPJs to look up. */
  documents: jsonb("documents").$type<string[]>(),
  status: text("status", { enum: erpSyncStatuses }).notNull().default("queued"),
  /** Where the next run continues: the ERP's page cursor, or the index into `documents`. */
  cursor: text("cursor"),
  /** Job runs so far; each continuation is a new job named by it, so a retry cannot skip a page. */
  runs: integer("runs").notNull().default(0),
  total: integer("total"),
  processed: integer("processed").notNull().default(0),
  created: integer("created").notNull().default(0),
  updated: integer("updated").notNull().default(0),
  unchanged: integer("unchanged").notNull().default(0),
  skipped: integer("skipped").notNull().default(0),
  /** `{ customer_id, document (masked), reason }`, at most 500. */
  report: jsonb("report").$type<Record<string, unknown>[]>().notNull().default(sql`'[]'::jsonb`),
  error: text("error"),
  startedAt: timestamptz("started_at"),
  completedAt: timestamptz("completed_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index("erp_syncs_tenant_idx").on(t.tenantId, t.erpType, t.createdAt),
  // One sync at a time per ERP: a second request while one runs is answered with the running one.
  uniqueIndex("erp_syncs_one_running_key").on(t.tenantId, t.erpType).where(
    sql`${t.status} in ('queued', 'running')`,
  ),
]);

/**
 * Calls an ERP made to our webhook, stored raw and deduplicated (per connection, by the event id
 * or the body's hash) before the 200; processing publishes the domain event and marks the row.
 */
export const erpWebhookEvents = pgTable("erp_webhook_events", {
  id: id(),
  tenantId: uuid("tenant_id").notNull(),
  connectionId: uuid("connection_id").notNull(),
  erpType: text("erp_type", { enum: erpTypeValues }).notNull(),
  dedupeKey: text("dedupe_key").notNull(),
  rawBody: text("raw_body").notNull(),
  status: text("status", { enum: ["pending", "processed", "failed"] }).notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  error: text("error"),
  receivedAt: timestamptz("received_at").notNull().defaultNow(),
  processedAt: timestamptz("processed_at"),
}, (t) => [
  uniqueIndex("erp_webhook_events_dedupe_key").on(t.connectionId, t.dedupeKey),
  index("erp_webhook_events_pending_idx").on(t.receivedAt).where(sql`${t.status} = 'pending'`),
]);

/*
 * The sandbox ISP: a small provider's ERP living in our database, seeded per tenant when the
 * sandbox is connected, so the whole ISP story works in `deno task dev` with no ERP anywhere.
 * Ids are the ERP's (numeric text, distinct per tenant), keyed together with the tenant.
 */

export const erpSandboxCustomers = pgTable("erp_sandbox_customers", {
  tenantId: uuid("tenant_id").notNull(),
  id: text("id").notNull(),
  document: text("document").notNull(),
  name: text("name").notNull(),
  email: text("email"),
  phones: text("phones").array().notNull(),
  address: jsonb("address").$type<Record<string, string | null>>().notNull(),
  cancelled: boolean("cancelled").notNull().default(false),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.tenantId, t.id] }),
  index("erp_sandbox_customers_document_idx").on(t.tenantId, t.document),
]);

export const erpSandboxContracts = pgTable("erp_sandbox_contracts", {
  tenantId: uuid("tenant_id").notNull(),
  id: text("id").notNull(),
  customerId: text("customer_id").notNull(),
  planId: text("plan_id").notNull(),
  /** active | blocked | reduced | cancelled */
  status: text("status").notNull(),
  login: text("login").notNull(),
  online: boolean("online").notNull(),
  /** When the session started (online) or ended (offline). */
  since: timestamptz("since").notNull(),
  ip: text("ip"),
  mac: text("mac").notNull(),
  equipment: text("equipment").notNull(),
  /** The last trust unlock; the sandbox allows one per 30 days, like most ISPs. */
  unlockedAt: timestamptz("unlocked_at"),
  unlockedUntil: date("unlocked_until"),
}, (t) => [
  primaryKey({ columns: [t.tenantId, t.id] }),
  index("erp_sandbox_contracts_customer_idx").on(t.tenantId, t.customerId),
]);

export const erpSandboxInvoices = pgTable("erp_sandbox_invoices", {
  tenantId: uuid("tenant_id").notNull(),
  id: text("id").notNull(),
  customerId: text("customer_id").notNull(),
  contractId: text("contract_id").notNull(),
  description: text("description").notNull(),
  dueDate: date("due_date").notNull(),
  amountCents: bigint("amount_cents", { mode: "number" }).notNull(),
  /** open | paid | cancelled (overdue is open and past due). */
  status: text("status").notNull(),
  paidAt: timestamptz("paid_at"),
  linhaDigitavel: text("linha_digitavel").notNull(),
  barcode: text("barcode").notNull(),
  pix: text("pix").notNull(),
}, (t) => [
  primaryKey({ columns: [t.tenantId, t.id] }),
  index("erp_sandbox_invoices_customer_idx").on(t.tenantId, t.customerId, t.dueDate),
]);

export const erpSandboxTickets = pgTable("erp_sandbox_tickets", {
  tenantId: uuid("tenant_id").notNull(),
  id: text("id").notNull(),
  protocol: text("protocol").notNull(),
  customerId: text("customer_id").notNull(),
  contractId: text("contract_id"),
  type: text("type").notNull(),
  subject: text("subject"),
  status: text("status").notNull(),
  messages: jsonb("messages").$type<{ at: string; author: string | null; text: string }[]>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  primaryKey({ columns: [t.tenantId, t.id] }),
  index("erp_sandbox_tickets_customer_idx").on(t.tenantId, t.customerId),
]);
