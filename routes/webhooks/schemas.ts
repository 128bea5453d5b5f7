import { z } from "@hono/zod-openapi";
import { Timestamp } from "../../src/http/openapi-schemas.ts";
import { webhookEventTypes } from "../../src/webhooks/webhook-events.ts";

export const TAG = "Webhooks";

export const EventName = z.enum(["*", ...webhookEventTypes]).openapi({
  description: "An event type, or `*` for every one.",
  example: "message.received",
});

export const WebhookSchema = z.object({
  id: z.uuid(),
  url: z.string().openapi({ example: "https://erp.provedor.com.br/pytake/webhook" }),
  description: z.string().nullable(),
  events: z.array(z.string()).openapi({ example: ["message.received", "message.sent"] }),
  secret_hint: z.string().openapi({
    description:
      "The start and end of the signing secret, to tell secrets apart; the secret itself is shown only when set.",
    example: "whsec_…x9Qa",
  }),
  is_active: z.boolean(),
  disabled_at: Timestamp.nullable(),
  disabled_reason: z.string().nullable().openapi({
    description: "Why it was switched off: by a person, or after a day of failed deliveries.",
  }),
  failing_since: Timestamp.nullable().openapi({ description: "First failure since the last success." }),
  last_success_at: Timestamp.nullable(),
  last_failure_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("Webhook");

export const WithSecret = WebhookSchema.extend({
  secret: z.string().optional().openapi({
    description:
      "A generated signing secret, shown in this answer only: store it where your receiver can read it. A secret you chose is never sent back.",
    example: "whsec_3q2-5d8Ffk1k0bMxg1kV2sGJm0p1x9Qa",
  }),
}).openapi("WebhookWithSecret");

export const AttemptSchema = z.object({
  id: z.uuid(),
  event_id: z.uuid(),
  event_type: z.string(),
  delivery_id: z.uuid().nullable(),
  attempt: z.number().int(),
  outcome: z.enum(["success", "retry", "failed"]).openapi({
    description: "`retry`: another attempt is booked; `failed`: given up, or not worth retrying (a 4xx).",
  }),
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int(),
  response_excerpt: z.string().nullable().openapi({
    description: "The first 1,024 characters of the answer.",
  }),
  error: z.string().nullable(),
  manual: z.boolean().openapi({ description: "Started by `test` or `retry`." }),
  created_at: Timestamp,
}).openapi("WebhookAttempt");

export const DeliveryReport = AttemptSchema.extend({ delivered: z.boolean() }).openapi(
  "WebhookDeliveryReport",
);

/** How receivers verify what we send: the one place the scheme is written down. */
export const SIGNATURE_DOC =
  "Each delivery is `POST` with a JSON body `{ id, event, created_at, tenant_id, data }` and the headers `X-PyTake-Event-Id`, `X-PyTake-Event-Type`, `X-PyTake-Delivery-Id`, `X-PyTake-Attempt` and `X-PyTake-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is the HMAC-SHA256, keyed with the endpoint's secret, of the text `<t>.<raw body>`. To verify: split the header at `,` and `=`, compute the HMAC of `t + \".\" + body` exactly as received, compare in constant time, and refuse a `t` more than 5 minutes from your clock. Answer 2xx within 10 s. Network errors, timeouts, 5xx, 408 and 429 are retried with growing delays for about a day (10 attempts); any other answer is final. An endpoint failing for a day is disabled and the tenant's admins get a mail. Delivery is at least once: deduplicate by `X-PyTake-Event-Id`.";
