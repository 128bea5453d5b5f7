import { index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

export const widgetTypes = ["counter", "chart", "kpi", "table"] as const;

/** One tile of a user's own dashboard: what it shows and where, on a 12-column grid. */
export const dashboardWidgets = pgTable("dashboard_widgets", {
  id: id(),
  tenantId: uuid("tenant_id").notNull().references(() => tenants.id),
  userId: uuid("user_id").notNull().references(() => users.id),
  type: text("type", { enum: widgetTypes }).notNull(),
  metric: text("metric").notNull(),
  title: text("title"),
  period: text("period", { enum: ["today", "week", "month"] }).notNull().default("today"),
  interval: text("interval", { enum: ["hourly", "daily", "weekly"] }),
  x: integer("x").notNull(),
  y: integer("y").notNull(),
  w: integer("w").notNull(),
  h: integer("h").notNull(),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index("dashboard_widgets_user_idx").on(t.userId, t.y, t.x)]);
