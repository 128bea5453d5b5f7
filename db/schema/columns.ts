import { timestamp, uuid } from "drizzle-orm/pg-core";

/** Shared column builders so every table spells ids and times the same way (DESIGN §4). */

/** UUIDv7 made by the app (`uuidv7()`), never by the database, so batches can refer to it. */
export const id = () => uuid("id").primaryKey();

export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const createdAt = () => timestamptz("created_at").notNull().defaultNow();
export const updatedAt = () => timestamptz("updated_at").notNull().defaultNow();
