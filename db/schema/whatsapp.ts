import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const apiTypes = ["official", "evolution", "sandbox"] as const;
export type ApiType = typeof apiTypes[number];
export const connectionStates = ["connected", "connecting", "disconnected", "error", "unknown"] as const;

/**
 * A WhatsApp number of a tenant. Credentials (access token, app secret, Evolution API key) are
 * one AES-256-GCM box; only masked forms ever leave the API. Deletion is soft so messages keep
 * naming the number they went through.
 */
export const whatsappConfigs = pgTable("whatsapp_configs", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  name: text("name").notNull(),
  /** E.164 (`+5511999999999`). */
  phoneNumber: text("phone_number").notNull(),
  apiType: text("api_type", { enum: apiTypes }).notNull(),
  isActive: boolean("is_active").notNull().default(true),
  /** The number sends go through when a request names none. */
  isDefault: boolean("is_default").notNull().default(false),
  /** Meta: the Graph id of the phone number, unique across tenants (webhooks route by it). */
  phoneNumberId: text("phone_number_id"),
  businessAccountId: text("business_account_id"),
  /** Evolution: the instance name, unique per base URL (webhooks route by it). */
  instanceName: text("instance_name"),
  baseUrl: text("base_url"),
  /** `v1.<iv>.<ciphertext>`: { access_token?, app_secret?, api_key? }. */
  credentials: text("credentials").notNull(),
  /** SHA-256 of the webhook verify token: Meta's GET handshake looks numbers up by it. */
  verifyTokenHash: text("verify_token_hash"),
  connectionState: text("connection_state", { enum: connectionStates }).notNull().default("unknown"),
  qualityRating: text("quality_rating"),
  messagingTier: text("messaging_tier"),
  displayName: text("display_name"),
  lastError: text("last_error"),
  lastCheckedAt: timestamptz("last_checked_at"),
  /** Messages per second this number may send (Meta's default throughput is 80). */
  throughputPerSecond: integer("throughput_per_second").notNull().default(80),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  deletedAt: timestamptz("deleted_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index("whatsapp_configs_tenant_idx").on(t.tenantId, t.createdAt),
  uniqueIndex("whatsapp_configs_phone_number_id_key").on(t.phoneNumberId).where(
    sql`${t.phoneNumberId} is not null and ${t.deletedAt} is null`,
  ),
  uniqueIndex("whatsapp_configs_instance_key").on(t.baseUrl, t.instanceName).where(
    sql`${t.instanceName} is not null and ${t.deletedAt} is null`,
  ),
  uniqueIndex("whatsapp_configs_tenant_phone_key").on(t.tenantId, t.phoneNumber).where(
    sql`${t.deletedAt} is null`,
  ),
  uniqueIndex("whatsapp_configs_one_default_key").on(t.tenantId).where(
    sql`${t.isDefault} and ${t.deletedAt} is null`,
  ),
  index("whatsapp_configs_verify_token_idx").on(t.verifyTokenHash),
]);

/**
 * Every inbound webhook call, stored raw before the 200 and deduplicated by the hash of its
 * bytes, so an acknowledged event is never lost and a redelivery changes nothing. Processing
 * marks it; a sweeper retries the ones left pending.
 */
export const webhookEvents = pgTable("webhook_events", {
  id: id(),
  provider: text("provider", { enum: ["meta", "evolution", "sandbox"] }).notNull(),
  tenantId: uuid("tenant_id"),
  configId: uuid("config_id"),
  /** SHA-256 of the raw body. */
  dedupeKey: text("dedupe_key").notNull(),
  rawBody: text("raw_body").notNull(),
  status: text("status", { enum: ["pending", "processed", "failed"] }).notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  error: text("error"),
  receivedAt: timestamptz("received_at").notNull().defaultNow(),
  processedAt: timestamptz("processed_at"),
}, (t) => [
  uniqueIndex("webhook_events_dedupe_key").on(t.dedupeKey),
  index("webhook_events_pending_idx").on(t.receivedAt).where(sql`${t.status} = 'pending'`),
  index("webhook_events_tenant_idx").on(t.tenantId, t.receivedAt),
]);

/** Monthly counters per tenant (messages sent), incremented in the statement that checks the limit. */
export const usageCounters = pgTable("usage_counters", {
  tenantId: uuid("tenant_id").notNull(),
  /** `2026-11` */
  period: text("period").notNull(),
  metric: text("metric").notNull(),
  value: integer("value").notNull().default(0),
}, (t) => [uniqueIndex("usage_counters_key").on(t.tenantId, t.period, t.metric)]);
