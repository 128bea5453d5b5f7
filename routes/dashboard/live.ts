import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { alerts } from "../../src/dashboard/alerts.ts";
import { activeConversations, agents, queue, thresholds } from "../../src/dashboard/live.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent } from "../../src/http/openapi-schemas.ts";
import { runReads } from "../../src/platform/db/reads.ts";
import { ActiveSchema, AgentsSchema, AlertSchema, QueueSchema, TAG } from "./schemas.ts";

const Limit = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export const agentsRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/agents",
  tags: [TAG],
  operationId: "dashboardAgents",
  summary: "Agents: online, load and capacity",
  description:
    "Every active user who answers conversations: online (a live WebSocket, heartbeats every 30 s), open conversations held, and the tenant's capacity per agent (setting `agent_capacity`).",
  responses: { 200: jsonContent(AgentsSchema, "The team.") },
});

export const activeRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/conversations/active",
  tags: [TAG],
  operationId: "dashboardActiveConversations",
  summary: "Conversations being handled",
  description:
    "`active` conversations, newest activity first, with agent, time in progress and whether the customer wrote last.",
  request: { query: Limit },
  responses: { 200: jsonContent(ActiveSchema, "Active conversations.") },
});

export const queueRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/queue",
  tags: [TAG],
  operationId: "dashboardQueue",
  summary: "The waiting queue",
  description:
    "Conversations waiting for an agent, the longest waiting first: how long (since they entered `waiting`) and their state against the first-response SLA (setting `sla_first_response_minutes`, default 15): `warning` past 80%, `breached` past it.",
  request: { query: Limit },
  responses: { 200: jsonContent(QueueSchema, "The queue.") },
});

export const alertsRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "get",
  path: "/api/v1/dashboard/alerts",
  tags: [TAG],
  operationId: "dashboardAlerts",
  summary: "What needs attention now",
  description:
    "Computed from live data on each call, most severe first: conversations waiting past the SLA (critical past twice it), numbers disconnected or rated yellow/red by Meta, numbers whose failed outbound messages in the last hour pass `alert_failed_rate_percent` (default 10%, over at least 20 messages; critical past twice it), webhook endpoints switched off after a day of failures.",
  responses: {
    200: jsonContent(z.object({ data: z.array(AlertSchema) }).openapi("DashboardAlerts"), "Alerts."),
  },
});

export const registerDashboardLive = (app: App) => {
  app.openapi(agentsRoute, async (c) => {
    const tenantId = c.get("principal")!.tenantId!;
    return c.json(await agents(c.get("services"), tenantId, thresholds(c.get("tenant")?.settings)), 200);
  });
  app.openapi(activeRoute, async (c) => {
    const s = c.get("services");
    const reads = activeConversations(
      c.get("principal")!.tenantId!,
      c.req.valid("query").limit,
      s.clock.now(),
    );
    return c.json(await runReads(s.database, reads), 200);
  });
  app.openapi(queueRoute, async (c) => {
    const s = c.get("services");
    const t = thresholds(c.get("tenant")?.settings);
    const reads = queue(c.get("principal")!.tenantId!, c.req.valid("query").limit, t, s.clock.now());
    return c.json(await runReads(s.database, reads), 200);
  });
  app.openapi(alertsRoute, async (c) => {
    const s = c.get("services");
    const reads = alerts(c.get("principal")!.tenantId!, thresholds(c.get("tenant")?.settings), s.clock.now());
    return c.json({ data: await runReads(s.database, reads) }, 200);
  });
};
