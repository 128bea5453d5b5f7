import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { background } from "../../src/http/background.ts";
import { jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { processAfterAck, storeWebhook } from "../../src/whatsapp/inbound/ingest.ts";
import {
  authenticateEvolution,
  authenticateMeta,
  verifyTokenKnown,
} from "../../src/whatsapp/inbound/webhook-auth.ts";
import { TAG } from "./schemas.ts";

export const verifyRoute = defineRoute({ public: true }, {
  method: "get",
  path: "/api/v1/whatsapp/webhook",
  tags: [TAG],
  operationId: "verifyWhatsAppWebhook",
  summary: "Meta's webhook verification handshake",
  description:
    "Meta calls this when the callback URL is saved. Answers the raw `hub.challenge` when `hub.mode` is `subscribe` and `hub.verify_token` is the verify token of one of the numbers (or META_VERIFY_TOKEN); 403 otherwise.",
  request: {
    query: z.object({
      "hub.mode": z.string().optional(),
      "hub.verify_token": z.string().max(512).optional(),
      "hub.challenge": z.string().max(512).optional(),
    }),
  },
  responses: {
    200: { description: "The challenge, as plain text.", content: { "text/plain": { schema: z.string() } } },
    403: problemResponse("Unknown verify token or wrong mode."),
  },
});

export const receiveRoute = defineRoute({ signature: "meta-or-evolution" }, {
  method: "post",
  path: "/api/v1/whatsapp/webhook",
  tags: [TAG],
  operationId: "receiveWhatsAppWebhook",
  summary: "Inbound events from Meta and Evolution",
  description:
    "Meta: `X-Hub-Signature-256` over the raw body with the app secret of the number in `metadata.phone_number_id` (or META_APP_SECRET). Evolution: the instance's API key in the `apikey` header (set automatically when the number is added). A bad or missing signature is 401 and nothing is stored. Every authenticated call is stored raw and deduplicated before the 200, even for a suspended tenant; processing (messages, statuses, connection changes) follows at once and is retried by a sweeper if it fails.",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: { type: "object", description: "Meta's or Evolution's payload, as they send it." },
        },
      },
    },
  },
  responses: {
    200: jsonContent(z.object({ status: z.enum(["received", "duplicate"]) }), "Stored (or already stored)."),
    400: problemResponse("The body is not JSON, or from neither provider."),
  },
});

export const registerWebhookRoutes = (app: App) => {
  app.openapi(verifyRoute, async (c) => {
    const q = c.req.valid("query");
    const token = q["hub.verify_token"];
    if (q["hub.mode"] !== "subscribe" || !token || !await verifyTokenKnown(c.get("services"), token)) {
      throw new ApiError("forbidden", "Unknown verify token");
    }
    return c.text(q["hub.challenge"] ?? "", 200);
  });

  app.openapi(receiveRoute, async (c) => {
    const s = c.get("services");
    // The signature covers these exact bytes: read them before anything parses the body.
    const raw = await c.req.text();
    const signature = c.req.header("x-hub-signature-256");
    let provider: "meta" | "evolution";
    let auth;
    if (signature !== undefined) {
      provider = "meta";
      auth = await authenticateMeta(s, raw, signature);
    } else {
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(raw);
      } catch {
        throw new ApiError("malformed_json", "The body is not valid JSON");
      }
      if (typeof payload?.event !== "string" || typeof payload?.instance !== "string") {
        throw new ApiError(
          "invalid_signature",
          "Missing X-Hub-Signature-256 (Meta) or Evolution's instance and key",
        );
      }
      provider = "evolution";
      auth = await authenticateEvolution(s, payload, {
        apikey: c.req.header("apikey"),
        authorization: c.req.header("authorization"),
      });
    }
    if (!auth.ok) throw new ApiError("invalid_signature", `Webhook refused: ${auth.reason}`);
    const stored = await storeWebhook(s, {
      provider,
      rawBody: raw,
      tenantId: auth.tenantId,
      configId: auth.configId,
    });
    if (!stored.duplicate) {
      await processAfterAck(
        s,
        { id: stored.id, provider, rawBody: raw, configId: auth.configId },
        (work) => background(c, work),
      );
    }
    return c.json({ status: stored.duplicate ? "duplicate" as const : "received" as const }, 200);
  });
};
