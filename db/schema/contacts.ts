import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

/**
 * A tenant's customer. `phone` is E.164 and unique per tenant; `wa_id` is what WhatsApp calls
 * them (for older Brazilian mobiles it lacks the ninth digit), used as the `to` of sends.
 */
export const contacts = pgTable("contacts", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  phone: text("phone").notNull(),
  waId: text("wa_id"),
  name: text("name"),
  /** The WhatsApp profile name, as last seen in a webhook. */
  profileName: text("profile_name"),
  email: text("email"),
  tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
  attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  optIn: boolean("opt_in"),
  optInAt: timestamptz("opt_in_at"),
  optOutAt: timestamptz("opt_out_at"),
  blocked: boolean("blocked").notNull().default(false),
  lastSeenAt: timestamptz("last_seen_at"),
  deletedAt: timestamptz("deleted_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("contacts_tenant_phone_key").on(t.tenantId, t.phone).where(sql`${t.deletedAt} is null`),
  index("contacts_tenant_wa_idx").on(t.tenantId, t.waId),
  index("contacts_tenant_created_idx").on(t.tenantId, t.createdAt),
  index("contacts_tags_idx").using("gin", t.tags),
  // Search over name, profile name, email and phone digits, ignoring case and accents (contactSearchText).
  index("contacts_search_idx").using(
    "gin",
    sql`f_unaccent(lower(coalesce(${t.name}, '') || ' ' || coalesce(${t.profileName}, '') || ' ' || coalesce(${t.email}, '') || ' ' || ${t.phone})) gin_trgm_ops`,
  ),
]);

export const contactImportStatuses = ["queued", "processing", "completed", "failed"] as const;

/**
 * A CSV/XLSX upload. The file is read and checked when it arrives; its rows wait in chunks that
 * jobs apply one at a time. `dedupe_key` is the file's SHA-256 (plus the import id when forced),
 * so sending the same file again answers the first import.
 */
export const contactImports = pgTable("contact_imports", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  createdBy: uuid("created_by").references(() => users.id),
  dedupeKey: text("dedupe_key").notNull(),
  fileName: text("file_name"),
  fileSha256: text("file_sha256").notNull(),
  format: text("format", { enum: ["csv", "xlsx"] }).notNull(),
  /** Which column of the file fed which field. */
  columns: jsonb("columns").$type<Record<string, string>>().notNull(),
  status: text("status", { enum: contactImportStatuses }).notNull().default("queued"),
  totalRows: integer("total_rows").notNull(),
  chunksTotal: integer("chunks_total").notNull(),
  chunksDone: integer("chunks_done").notNull().default(0),
  processed: integer("processed").notNull().default(0),
  created: integer("created").notNull().default(0),
  updated: integer("updated").notNull().default(0),
  unchanged: integer("unchanged").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  error: text("error"),
  startedAt: timestamptz("started_at"),
  completedAt: timestamptz("completed_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex("contact_imports_dedupe_key").on(t.tenantId, t.dedupeKey),
  index("contact_imports_tenant_idx").on(t.tenantId, t.createdAt),
]);

/** Rows of an import waiting to be applied; a chunk is deleted by the statement that applies it. */
export const contactImportChunks = pgTable("contact_import_chunks", {
  id: id(),
  importId: uuid("import_id").notNull().references(() => contactImports.id, { onDelete: "cascade" }),
  tenantId: uuid("tenant_id").notNull(),
  seq: integer("seq").notNull(),
  rows: jsonb("rows").$type<unknown[]>().notNull(),
  errors: jsonb("errors").$type<unknown[]>().notNull(),
}, (t) => [uniqueIndex("contact_import_chunks_seq_key").on(t.importId, t.seq)]);

/** The per-row report of an import: which row, which field, why. */
export const contactImportErrors = pgTable("contact_import_errors", {
  id: id(),
  importId: uuid("import_id").notNull().references(() => contactImports.id, { onDelete: "cascade" }),
  tenantId: uuid("tenant_id").notNull(),
  row: integer("row").notNull(),
  field: text("field").notNull(),
  reason: text("reason").notNull(),
  value: text("value"),
}, (t) => [index("contact_import_errors_row_idx").on(t.importId, t.row)]);
