/** The one drizzle schema, shared by every driver. A file per area; this index lists them. */
export * from "./jobs.ts";
export * from "./mail.ts";
export * from "./tenants.ts";
export * from "./users.ts";
export * from "./api-keys.ts";
export * from "./audit.ts";
export * from "./whatsapp.ts";
export * from "./contacts.ts";
export * from "./conversations.ts";
export * from "./messages.ts";
export * from "./webhooks.ts";
export * from "./dashboard.ts";
export * from "./ai.ts";
export * from "./erp.ts";
