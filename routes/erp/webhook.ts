import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { App } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import {
  authenticateErpWebhook,
  ErpWebhookBody,
  processErpWebhook,
  storeErpWebhook,
} from "../../src/erp/webhook.ts";
import { background } from "../../src/http/background.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { erpTypeOf } from "./context.ts";
import { ErpTypeParam, TAG } from "./schemas.ts";

/** The connection a call was matched to, from the middleware (before the body is validated) to the handler. */
const matched = new WeakMap<Request, { tenantId: string; connectionId: string }>();

/** The secret first: a caller without it learns nothing, not even whether its body would pass. */
const checkSecret: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = erpTypeOf(c.req.param("erp_type") ?? "");
  const secret = c.req.header("x-webhook-secret") ??
    c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ??
    c.req.query("secret");
  const auth = await authenticateErpWebhook(c.get("services"), type, secret);
  if (!auth) {
    throw new ApiError("invalid_signature", "Missing or wrong webhook secret for this ERP connection");
  }
  matched.set(c.req.raw, auth);
  await next();
};

export const erpWebhookRoute = defineRoute({ signature: "erp-webhook-secret" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/webhook",
  tags: [TAG],
  operationId: "receiveErpWebhook",
  middleware: [checkSecret],
  summary: "Events from the ERP",
  description:
    "Point the ERP's automations (payment confirmed, unlock done at the counter, ticket answered) here with the connection's webhook secret in `X-Webhook-Secret` (or `Authorization: Bearer`, or `?secret=` where the ERP can only set a URL). The call is stored and deduplicated (by `id`, else by its bytes) before the 200, then becomes `erp.payment_received`, `erp.customer_unblocked` or `erp.ticket_updated` for flows, WebSocket (`erp` channel) and outgoing webhooks. A wrong secret is 401 and nothing is stored.",
  request: {
    params: ErpTypeParam,
    query: z.object({ secret: z.string().max(200).optional() }),
    body: { required: true, content: { "application/json": { schema: ErpWebhookBody } } },
  },
  responses: {
    200: jsonContent(z.object({ status: z.enum(["received", "duplicate"]) }), "Stored (or already stored)."),
    404: problemResponse("Unknown ERP type."),
  },
});

export const registerErpWebhookRoute = (app: App) => {
  app.openapi(erpWebhookRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    const s = c.get("services");
    const auth = matched.get(c.req.raw)!;
    const payload = c.req.valid("json");
    // Stored as it came (Hono keeps the bytes it parsed).
    const stored = await storeErpWebhook(s, auth, type, await c.req.text(), payload);
    if (!stored.duplicate) background(c, processErpWebhook(s, stored.id));
    return c.json({ status: stored.duplicate ? "duplicate" as const : "received" as const }, 200);
  });
};
