import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz } from "./columns.ts";

/** Every mail the product sends lands here first; delivery (dev: the log) reads from it. */
export const mailOutbox = pgTable("mail_outbox", {
  id: id(),
  tenantId: uuid("tenant_id"),
  toAddress: text("to_address").notNull(),
  subject: text("subject").notNull(),
  textBody: text("text_body").notNull(),
  htmlBody: text("html_body"),
  /** What the mail is for (`verify_email`, `reset_password`, `invitation`, …). */
  kind: text("kind").notNull(),
  status: text("status", { enum: ["queued", "sent", "failed"] }).notNull().default("queued"),
  error: text("error"),
  sentAt: timestamptz("sent_at"),
  createdAt: createdAt(),
}, (t) => [index("mail_outbox_to_idx").on(t.toAddress, t.createdAt)]);
