import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";

export const planCodes = ["starter", "growth", "enterprise"] as const;
export type PlanCode = typeof planCodes[number];

export const tenantStatuses = ["active", "suspended", "deleted"] as const;
export type TenantStatus = typeof tenantStatuses[number];

/** Settings a tenant may change; the API validates the shape (src/tenants/tenant-settings.ts). */
export type TenantSettings = Record<string, unknown>;

/**
 * A customer company. Deletion is soft: `status = deleted` with `purge_after`, when a job erases
 * its data; suspension keeps everything and refuses its tokens.
 */
export const tenants = pgTable("tenants", {
  id: id(),
  name: text("name").notNull(),
  slug: text("slug").notNull(),
  domain: text("domain"),
  plan: text("plan", { enum: planCodes }).notNull().default("starter"),
  status: text("status", { enum: tenantStatuses }).notNull().default("active"),
  suspendedReason: text("suspended_reason"),
  suspendedAt: timestamptz("suspended_at"),
  deletedAt: timestamptz("deleted_at"),
  purgeAfter: timestamptz("purge_after"),
  settings: jsonb("settings").$type<TenantSettings>().notNull().default(sql`'{}'::jsonb`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("tenants_slug_key").on(t.slug),
  uniqueIndex("tenants_domain_key").on(sql`lower(${t.domain})`).where(sql`${t.domain} is not null`),
  index("tenants_status_idx").on(t.status, t.createdAt),
]);
