import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import {
  createEndpoint,
  deleteEndpoint,
  endpointView,
  findEndpoint,
  listEndpoints,
  MAX_ENDPOINTS,
  updateEndpoint,
} from "../../src/webhooks/manage-webhooks.ts";
import { EventName, SIGNATURE_DOC, TAG, WebhookSchema, WithSecret } from "./schemas.ts";

const Url = z.url({ protocol: /^https?$/ }).max(2048).openapi({
  example: "https://erp.provedor.com.br/pytake/webhook",
});
const Secret = z.string().min(16).max(256).openapi({
  description: "Your own signing secret (16+ characters); one is generated when absent.",
});
const Events = z.array(EventName).min(1).max(50);

export const listRoute = defineRoute({ permission: "read:webhooks" }, {
  method: "get",
  path: "/api/v1/webhooks",
  tags: [TAG],
  operationId: "listWebhooks",
  summary: "List webhook endpoints",
  request: { query: PageQuery },
  responses: { 200: jsonContent(pageOf(WebhookSchema), "Endpoints, newest first.") },
});

export const createRoute = defineRoute({ permission: "write:webhooks" }, {
  method: "post",
  path: "/api/v1/webhooks",
  tags: [TAG],
  operationId: "createWebhook",
  summary: "Add a webhook endpoint",
  description:
    `Events of the tenant are POSTed to \`url\` as they happen. ${SIGNATURE_DOC} The URL must be public http(s): private, loopback and cloud-metadata addresses are refused. At most ${MAX_ENDPOINTS} endpoints per tenant.`,
  request: {
    body: jsonBody(
      z.object({
        url: Url,
        events: Events,
        secret: Secret.optional(),
        description: z.string().trim().max(200).nullable().optional(),
        is_active: z.boolean().optional(),
      }).strict().openapi("CreateWebhook", {
        example: {
          url: "https://example.com/webhook",
          events: ["message.received", "message.sent"],
          secret: "webhook_secret_1234",
        },
      }),
    ),
  },
  responses: {
    201: jsonContent(WithSecret, "Added; a generated secret is shown this once."),
    429: problemResponse("Rate limited, or the tenant has the most endpoints allowed (`quota_exceeded`)."),
  },
});

export const getRoute = defineRoute({ permission: "read:webhooks" }, {
  method: "get",
  path: "/api/v1/webhooks/{id}",
  tags: [TAG],
  operationId: "getWebhook",
  summary: "Get a webhook endpoint",
  request: { params: IdParam },
  responses: { 200: jsonContent(WebhookSchema, "The endpoint.") },
});

export const updateRoute = defineRoute({ permission: "write:webhooks" }, {
  method: "put",
  path: "/api/v1/webhooks/{id}",
  tags: [TAG],
  operationId: "updateWebhook",
  summary: "Change a webhook endpoint",
  description:
    "Fields left out stay. A new `secret`, or `rotate_secret: true` for a generated one (shown in this answer only), takes effect at once. `is_active: true` turns a disabled endpoint back on and clears its failure record.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({
        url: Url.optional(),
        events: Events.optional(),
        secret: Secret.optional(),
        rotate_secret: z.boolean().optional(),
        description: z.string().trim().max(200).nullable().optional(),
        is_active: z.boolean().optional(),
      }).strict().refine((b) => Object.keys(b).length > 0, { message: "Nothing to change" })
        .refine((b) => !(b.secret && b.rotate_secret), {
          message: "Give a secret or ask to rotate, not both",
        })
        .openapi("UpdateWebhook"),
    ),
  },
  responses: {
    200: jsonContent(WebhookSchema.extend({ secret: z.string().optional() }), "Changed."),
  },
});

export const deleteRoute = defineRoute({ permission: "write:webhooks" }, {
  method: "delete",
  path: "/api/v1/webhooks/{id}",
  tags: [TAG],
  operationId: "deleteWebhook",
  summary: "Remove a webhook endpoint",
  description:
    "Soft delete: nothing more is sent and deliveries still waiting are cancelled; the audit log keeps it.",
  request: { params: IdParam },
  responses: { 204: { description: "Removed." } },
});

export const registerWebhookCrud = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const { data, total } = await listEndpoints(c.get("services"), c.get("principal")!, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(createRoute, async (c) => {
    const view = unwrap(
      await createEndpoint(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 201);
  });
  app.openapi(getRoute, async (c) => {
    const row = await findEndpoint(c.get("services"), c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("Webhook");
    return c.json(endpointView(row), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const view = unwrap(
      await updateEndpoint(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    unwrap(
      await deleteEndpoint(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.body(null, 204);
  });
};
