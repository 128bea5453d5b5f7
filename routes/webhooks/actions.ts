import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { endpointLog, retryEvent, testEndpoint } from "../../src/webhooks/webhook-actions.ts";
import { AttemptSchema, DeliveryReport, TAG } from "./schemas.ts";

export const testRoute = defineRoute({ permission: "write:webhooks" }, {
  method: "post",
  path: "/api/v1/webhooks/{id}/test",
  tags: [TAG],
  operationId: "testWebhook",
  summary: "Send a test event",
  description:
    "POSTs a signed `ping` event (`data: { webhook_id, message }`) now and reports the answer. Works on a disabled endpoint too, so a fix can be checked before turning it back on; it never counts as a failure.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(DeliveryReport, "What the endpoint answered (`delivered` false on any failure)."),
  },
});

export const logsRoute = defineRoute({ permission: "read:webhooks" }, {
  method: "get",
  path: "/api/v1/webhooks/{id}/logs",
  tags: [TAG],
  operationId: "webhookLogs",
  summary: "Delivery log",
  description: "Every attempt, newest first: status, latency, the start of the answer and the error.",
  request: {
    params: IdParam,
    query: PageQuery.extend({
      event_id: z.uuid().optional(),
      event_type: z.string().max(64).optional(),
      outcome: z.enum(["success", "retry", "failed"]).optional(),
    }),
  },
  responses: { 200: jsonContent(pageOf(AttemptSchema), "Attempts.") },
});

export const retryRoute = defineRoute({ permission: "write:webhooks" }, {
  method: "post",
  path: "/api/v1/webhooks/{id}/retry",
  tags: [TAG],
  operationId: "retryWebhookEvent",
  summary: "Send an event again",
  description:
    "Delivers the event with this id to the endpoint now, with its original body and id, and reports the answer; a success completes its delivery.",
  request: {
    params: IdParam,
    body: jsonBody(z.object({ event_id: z.uuid() }).openapi("RetryWebhookEvent")),
  },
  responses: {
    200: jsonContent(DeliveryReport, "What the endpoint answered."),
    404: problemResponse("No such endpoint, or the event was never sent to it."),
    409: problemResponse("The endpoint is disabled."),
  },
});

export const registerWebhookActions = (app: App) => {
  app.openapi(testRoute, async (c) => {
    const report = unwrap(
      await testEndpoint(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.json(report, 200);
  });
  app.openapi(logsRoute, async (c) => {
    const q = c.req.valid("query");
    const { endpoint, data, total } = await endpointLog(
      c.get("services"),
      c.get("principal")!,
      c.req.valid("param").id,
      q,
    );
    if (!endpoint) throw notFound("Webhook");
    return c.json(page(data, q, total), 200);
  });
  app.openapi(retryRoute, async (c) => {
    const report = unwrap(
      await retryEvent(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json").event_id,
      ),
    );
    return c.json(report, 200);
  });
};
