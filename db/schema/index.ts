/** The one drizzle schema, shared by every driver. A file per area; this index lists them. */
export * from "./jobs.ts";
export * from "./mail.ts";
