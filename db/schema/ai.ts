import { sql } from "drizzle-orm";
import {
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

/**
 * A tenant's AI settings (src/ai/ai-settings.ts gives the shape and the defaults). The API key,
 * when the tenant brings its own, is sealed with ENCRYPTION_KEY and never returned; `api_key_hint`
 * tells keys apart. No row means every default.
 */
export const aiSettings = pgTable("ai_settings", {
  tenantId: uuid("tenant_id").primaryKey().references(() => tenants.id),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  apiKey: text("api_key"),
  apiKeyHint: text("api_key_hint"),
  updatedBy: uuid("updated_by").references(() => users.id),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const aiPromptPurposes = ["chat", "suggest", "summarize", "template"] as const;
export type AiPromptPurpose = typeof aiPromptPurposes[number];

/**
 * A tenant's own prompt: instructions for the model (chat, summarize, template) or, for
 * `suggest` with an `intent`, the tenant's canned answer to that intent. Names are unique per
 * tenant, ignoring case. Deleting is hard (the audit log keeps the name and purpose).
 */
export const aiPrompts = pgTable("ai_prompts", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  name: text("name").notNull(),
  purpose: text("purpose", { enum: aiPromptPurposes }).notNull(),
  intent: text("intent"),
  content: text("content").notNull(),
  description: text("description"),
  /** The `{{…}}` variables the content uses, checked against the known list when saved. */
  variables: text("variables").array().notNull().default(sql`'{}'::text[]`),
  isActive: boolean("is_active").notNull().default(true),
  createdBy: uuid("created_by").references(() => users.id),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("ai_prompts_tenant_name_key").on(t.tenantId, sql`lower(${t.name})`),
  index("ai_prompts_tenant_purpose_idx").on(t.tenantId, t.purpose, t.createdAt),
]);

/**
 * Tokens spent per tenant, feature and UTC day (offline answers count as requests with zero
 * tokens). One row per key, incremented by an upsert; the monthly budget sums the month's rows.
 */
export const aiUsage = pgTable("ai_usage", {
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  day: date("day", { mode: "string" }).notNull(),
  feature: text("feature").notNull(),
  requests: integer("requests").notNull().default(0),
  inputTokens: integer("input_tokens").notNull().default(0),
  outputTokens: integer("output_tokens").notNull().default(0),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.tenantId, t.day, t.feature] })]);
