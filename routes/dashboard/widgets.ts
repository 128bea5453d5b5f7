import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { audit, requestMeta } from "../../src/audit/audit-log.ts";
import {
  createWidget,
  deleteWidget,
  listWidgets,
  MAX_WIDGETS,
  updateWidget,
  widgetMetrics,
} from "../../src/dashboard/widgets.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG, WidgetSchema } from "./schemas.ts";

const Position = z.object({
  x: z.number().int().min(0).max(11),
  y: z.number().int().min(0).max(999),
  w: z.number().int().min(1).max(12),
  h: z.number().int().min(1).max(20),
}).openapi({ description: "Cell on a 12-column grid; x + w ≤ 12.", example: { x: 0, y: 0, w: 4, h: 2 } });

const WidgetBody = z.object({
  type: z.enum(["counter", "chart", "kpi", "table"]),
  metric: z.string().max(64).openapi({
    description: Object.entries(widgetMetrics).map(([t, m]) => `${t}: ${m.join(", ")}`).join("; "),
    example: "messages.inbound",
  }),
  title: z.string().trim().max(80).nullable().optional(),
  period: z.enum(["today", "week", "month"]).optional(),
  interval: z.enum(["hourly", "daily", "weekly"]).nullable().optional().openapi({
    description: "Charts only.",
  }),
  position: Position,
  settings: z.record(z.string(), z.unknown()).optional().refine(
    (v) => v === undefined || JSON.stringify(v).length <= 4096,
    "Settings up to 4 KB",
  ),
}).strict();

const DESCRIPTION =
  "A user's own dashboard layout: each widget shows one metric its type can show, for a period, at a place on a 12-column grid. Widgets belong to the signed-in user (API keys have none).";

export const listWidgetsRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/widgets",
  tags: [TAG],
  operationId: "listDashboardWidgets",
  summary: "My dashboard widgets",
  description: DESCRIPTION,
  responses: {
    200: jsonContent(z.object({ data: z.array(WidgetSchema) }), "Widgets, top to bottom, left to right."),
  },
});

export const createWidgetRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "post",
  path: "/api/v1/dashboard/widgets",
  tags: [TAG],
  operationId: "createDashboardWidget",
  summary: "Add a widget",
  description: `${DESCRIPTION} At most ${MAX_WIDGETS}.`,
  request: { body: jsonBody(WidgetBody.openapi("CreateDashboardWidget")) },
  responses: { 201: jsonContent(WidgetSchema, "Added.") },
});

export const updateWidgetRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "put",
  path: "/api/v1/dashboard/widgets/{id}",
  tags: [TAG],
  operationId: "updateDashboardWidget",
  summary: "Change or move a widget",
  description:
    "Fields left out stay; the result is checked as a whole (metric for the type, interval for charts, grid).",
  request: {
    params: IdParam,
    body: jsonBody(
      WidgetBody.partial().extend({ position: Position.partial().optional() })
        .refine((b) => Object.keys(b).length > 0, { message: "Nothing to change" })
        .openapi("UpdateDashboardWidget"),
    ),
  },
  responses: { 200: jsonContent(WidgetSchema, "Changed.") },
});

export const deleteWidgetRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "delete",
  path: "/api/v1/dashboard/widgets/{id}",
  tags: [TAG],
  operationId: "deleteDashboardWidget",
  summary: "Remove a widget",
  description: "Hard delete (a layout tile), recorded in the audit log.",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." } },
});

export const registerDashboardWidgets = (app: App) => {
  app.openapi(
    listWidgetsRoute,
    async (c) => c.json({ data: unwrap(await listWidgets(c.get("services"), c.get("principal")!)) }, 200),
  );
  app.openapi(
    createWidgetRoute,
    async (c) =>
      c.json(unwrap(await createWidget(c.get("services"), c.get("principal")!, c.req.valid("json"))), 201),
  );
  app.openapi(updateWidgetRoute, async (c) => {
    const body = c.req.valid("json") as Parameters<typeof updateWidget>[3];
    return c.json(
      unwrap(await updateWidget(c.get("services"), c.get("principal")!, c.req.valid("param").id, body)),
      200,
    );
  });
  app.openapi(deleteWidgetRoute, async (c) => {
    const s = c.get("services");
    const { id } = c.req.valid("param");
    unwrap(await deleteWidget(s, c.get("principal")!, id));
    await audit(s, requestMeta(c), {
      action: "dashboard_widget.delete",
      targetType: "dashboard_widget",
      targetId: id,
    });
    return c.body(null, 204);
  });
};
