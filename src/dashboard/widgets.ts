import { and, asc, eq, sql } from "drizzle-orm";
import { dashboardWidgets } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { resultRows } from "../platform/db/database.ts";
import { insertWhere } from "../platform/db/insert-where.ts";
import type { Services } from "../services.ts";
import { chartMetricNames } from "./charts.ts";

type WidgetRow = typeof dashboardWidgets.$inferSelect;
export type WidgetType = WidgetRow["type"];

/** What each kind of widget can show. */
export const widgetMetrics: Record<WidgetType, readonly string[]> = {
  counter: [
    "messages.inbound",
    "messages.outbound",
    "messages.failed",
    "messages.delivery_rate",
    "messages.read_rate",
    "conversations.new",
    "conversations.resolved",
    "conversations.active",
    "conversations.waiting",
    "contacts.new",
    "queue.waiting",
    "agents.online",
  ],
  chart: chartMetricNames,
  kpi: [
    "first_response_seconds",
    "resolution_seconds",
    "resolution_rate",
    "messages_per_conversation",
    "handled_by",
  ],
  table: ["queue", "conversations_active", "agents", "alerts"],
};

export const GRID_COLUMNS = 12;
export const MAX_WIDGETS = 50;

export interface WidgetInput {
  type: WidgetType;
  metric: string;
  title?: string | null;
  period?: WidgetRow["period"];
  interval?: WidgetRow["interval"];
  position: { x: number; y: number; w: number; h: number };
  settings?: Record<string, unknown>;
}

export function widgetView(w: WidgetRow) {
  return {
    id: w.id,
    type: w.type,
    metric: w.metric,
    title: w.title,
    period: w.period,
    interval: w.interval,
    position: { x: w.x, y: w.y, w: w.w, h: w.h },
    settings: w.settings,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export type WidgetView = ReturnType<typeof widgetView>;

const invalid = (path: string, message: string) =>
  fail<never>("validation_failed", message, { errors: [{ path, message }] });

/** A widget's fields must make sense together: a metric its type can show, a chart's interval, a place on the grid. */
export function checkWidget(w: WidgetInput): Result<WidgetInput> {
  if (!widgetMetrics[w.type].includes(w.metric)) {
    return invalid("body.metric", `A ${w.type} widget shows one of: ${widgetMetrics[w.type].join(", ")}`);
  }
  if (w.type === "chart" && !w.interval) return invalid("body.interval", "A chart needs an interval");
  if (w.type !== "chart" && w.interval) return invalid("body.interval", "Only charts have an interval");
  if (w.type === "chart" && w.interval === "hourly" && w.period === "month") {
    return invalid("body.interval", "An hourly chart covers today or this week, not a month");
  }
  if (w.position.x + w.position.w > GRID_COLUMNS) {
    return invalid("body.position", `The grid has ${GRID_COLUMNS} columns: x + w must not pass it`);
  }
  return ok(w);
}

const mine = (p: Principal & { kind: "user" }) =>
  and(eq(dashboardWidgets.tenantId, p.tenantId!), eq(dashboardWidgets.userId, p.userId))!;

const userOnly = (p: Principal): p is Principal & { kind: "user" } => p.kind === "user";

export async function listWidgets(s: Services, p: Principal): Promise<Result<WidgetView[]>> {
  if (!userOnly(p)) return fail("forbidden", "Widgets belong to a user: sign in as one, not with an API key");
  const rows = await s.database.db.select().from(dashboardWidgets).where(mine(p))
    .orderBy(asc(dashboardWidgets.y), asc(dashboardWidgets.x), asc(dashboardWidgets.createdAt));
  return ok(rows.map(widgetView));
}

export async function createWidget(
  s: Services,
  p: Principal,
  input: WidgetInput,
): Promise<Result<WidgetView>> {
  if (!userOnly(p)) return fail("forbidden", "Widgets belong to a user: sign in as one, not with an API key");
  const checked = checkWidget(input);
  if (!checked.ok) return checked;
  const now = s.clock.now();
  const row: WidgetRow = {
    id: uuidv7(),
    tenantId: p.tenantId!,
    userId: p.userId,
    type: input.type,
    metric: input.metric,
    title: input.title?.trim() || null,
    period: input.period ?? "today",
    interval: input.interval ?? null,
    ...input.position,
    settings: input.settings ?? {},
    createdAt: now,
    updatedAt: now,
  };
  const [inserted] = await s.database.atomic((db) =>
    [
      insertWhere(
        db,
        dashboardWidgets,
        row,
        sql`(select count(*) from ${dashboardWidgets} where ${mine(p)}) < ${MAX_WIDGETS}`,
      ),
    ] as const
  );
  if (resultRows(inserted).length === 0) {
    return fail("quota_exceeded", `A dashboard holds ${MAX_WIDGETS} widgets; remove one first`, {
      extensions: { limit: "dashboard_widgets", max: MAX_WIDGETS },
    });
  }
  return ok(widgetView(row));
}

/** Replaces a widget's fields with those given (a PUT of the whole widget or of some fields). */
export async function updateWidget(
  s: Services,
  p: Principal,
  id: string,
  input: Partial<WidgetInput>,
): Promise<Result<WidgetView>> {
  if (!userOnly(p)) return fail("forbidden", "Widgets belong to a user: sign in as one, not with an API key");
  const [current] = await s.database.db.select().from(dashboardWidgets)
    .where(and(eq(dashboardWidgets.id, id), mine(p)));
  if (!current) return fail("not_found", "Widget not found");
  const merged: WidgetInput = {
    type: input.type ?? current.type,
    metric: input.metric ?? current.metric,
    title: input.title !== undefined ? input.title : current.title,
    period: input.period ?? current.period,
    interval: input.interval !== undefined ? input.interval : current.interval,
    position: { ...{ x: current.x, y: current.y, w: current.w, h: current.h }, ...input.position },
    settings: input.settings ?? current.settings,
  };
  const checked = checkWidget(merged);
  if (!checked.ok) return checked;
  const [row] = await s.database.db.update(dashboardWidgets).set({
    type: merged.type,
    metric: merged.metric,
    title: merged.title?.trim() || null,
    period: merged.period,
    interval: merged.interval ?? null,
    ...merged.position,
    settings: merged.settings,
    updatedAt: s.clock.now(),
  }).where(and(eq(dashboardWidgets.id, id), mine(p))).returning();
  if (!row) return fail("not_found", "Widget not found");
  return ok(widgetView(row));
}

export async function deleteWidget(s: Services, p: Principal, id: string): Promise<Result<null>> {
  if (!userOnly(p)) return fail("forbidden", "Widgets belong to a user: sign in as one, not with an API key");
  const deleted = await s.database.db.delete(dashboardWidgets).where(
    and(eq(dashboardWidgets.id, id), mine(p)),
  )
    .returning({ id: dashboardWidgets.id });
  return deleted.length ? ok(null) : fail("not_found", "Widget not found");
}
