import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { whatsappConfigs } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError, notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import type { Services } from "../../src/services.ts";
import { findConfig, setActive, tenantNumbers } from "../../src/whatsapp/configs/manage-configs.ts";
import { qrKey } from "../../src/whatsapp/inbound/apply-events.ts";
import type { ConfigRow } from "../../src/whatsapp/providers/provider.ts";
import { simulateInbound } from "../../src/whatsapp/providers/sandbox-inbound.ts";
import { evolution, providerContext, providerFor } from "../../src/whatsapp/providers/registry.ts";
import { CheckSchema, ConfigSchema, StatusSchema, TAG } from "./schemas.ts";

/** Asks the provider and keeps what it said on the number; answers the number as now stored. */
async function checkNumber(s: Services, config: ConfigRow) {
  const result = await providerFor(s, config).check(await providerContext(s, config));
  const failed = result.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`).join("; ");
  const [stored] = await s.database.db.update(whatsappConfigs).set({
    connectionState: result.status.connection_state,
    ...(result.status.quality_rating ? { qualityRating: result.status.quality_rating } : {}),
    ...(result.status.messaging_tier ? { messagingTier: result.status.messaging_tier } : {}),
    ...(result.status.display_name ? { displayName: result.status.display_name } : {}),
    lastError: result.ok ? null : failed,
    lastCheckedAt: s.clock.now(),
  }).where(eq(whatsappConfigs.id, config.id)).returning();
  return { ...result, stored: stored ?? config };
}

export const testRoute = defineRoute({ permission: "write:whatsapp" }, {
  method: "post",
  path: "/api/v1/whatsapp-configs/{id}/test",
  tags: [TAG],
  operationId: "testWhatsAppNumber",
  summary: "Check a number against its provider",
  description:
    "Calls the provider for real (Graph: the phone number's details; Evolution: the instance's connection state) and reports each check, including what failed.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(
      z.object({ ok: z.boolean(), checks: z.array(CheckSchema), status: StatusSchema }).openapi("NumberTest"),
      "The outcome; `ok` is false when any check failed.",
    ),
  },
});

export const statusRoute = defineRoute({ permission: "read:whatsapp" }, {
  method: "get",
  path: "/api/v1/whatsapp-configs/{id}/status",
  tags: [TAG],
  operationId: "getWhatsAppNumberStatus",
  summary: "Connection state, quality rating and messaging tier",
  description:
    "Asked of the provider now; when it cannot be reached, the last known state with `stale: true`.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(
      StatusSchema.extend({ checked_at: z.string(), stale: z.boolean(), last_error: z.string().nullable() }),
      "The state.",
    ),
  },
});

export const qrRoute = defineRoute({ permission: "read:whatsapp" }, {
  method: "get",
  path: "/api/v1/whatsapp-configs/{id}/qrcode",
  tags: [TAG],
  operationId: "getWhatsAppNumberQrCode",
  summary: "QR code to link an Evolution number",
  description:
    "Evolution numbers only (409 otherwise): the QR code to scan in WhatsApp › Linked devices, as a PNG data URL and as the raw code, and with `number` a pairing code to type instead. `state: connected` when already linked.",
  request: {
    params: IdParam,
    query: z.object({
      number: z.string().regex(/^\+?\d{10,15}$/).optional().openapi({
        description: "Ask for a pairing code for this phone.",
      }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        state: z.enum(["awaiting_scan", "connected"]),
        qr_code: z.string().nullable(),
        qr_image_base64: z.string().nullable(),
        pairing_code: z.string().nullable(),
      }).openapi("QrCode"),
      "The QR code.",
    ),
    409: problemResponse("Not an Evolution number."),
    502: problemResponse("The Evolution server refused or could not be reached."),
  },
});

export const simulateRoute = defineRoute({ permission: "write:whatsapp" }, {
  method: "post",
  path: "/api/v1/whatsapp-configs/{id}/simulate-inbound",
  tags: [TAG],
  operationId: "simulateInboundMessage",
  summary: "Sandbox: a customer writes in",
  description:
    "Sandbox numbers only (409 otherwise): delivers a customer's text (or reply-button answer) through the real inbound pipeline, exactly as a Meta webhook would, opening the 24-hour window.",
  request: {
    params: IdParam,
    body: jsonBody(
      z.object({
        from: z.string().trim().regex(/^\+?\d{10,15}$/).openapi({ example: "+5511988887777" }),
        name: z.string().trim().min(1).max(100).optional().openapi({ example: "Rodrigo" }),
        text: z.string().min(1).max(4096).optional().openapi({ example: "Oi, minha internet caiu" }),
        reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }).optional(),
      }).refine((b) => (b.text === undefined) !== (b.reply === undefined), "Send `text` or `reply`"),
    ),
  },
  responses: {
    201: jsonContent(z.object({ provider_message_id: z.string() }), "Received and processed."),
    409: problemResponse("Not a sandbox number."),
  },
});

const activation = (active: boolean) =>
  defineRoute({ permission: "write:whatsapp" }, {
    method: "post",
    path: `/api/v1/whatsapp-configs/{id}/${active ? "activate" : "deactivate"}`,
    tags: [TAG],
    operationId: active ? "activateWhatsAppNumber" : "deactivateWhatsAppNumber",
    summary: active ? "Activate a number" : "Deactivate a number",
    description: active
      ? "It sends again and may be the default."
      : "It stops sending (409 for sends that name it); another active number becomes the default. Inbound webhooks are still stored.",
    request: { params: IdParam },
    responses: { 200: jsonContent(ConfigSchema, active ? "Active." : "Inactive.") },
  });
export const activateRoute = activation(true);
export const deactivateRoute = activation(false);

export const registerConfigActions = (app: App) => {
  app.openapi(testRoute, async (c) => {
    const s = c.get("services");
    const config = await findConfig(s, c.get("principal")!, c.req.valid("param").id);
    if (!config) throw notFound("WhatsApp number");
    const { stored: _, ...result } = await checkNumber(s, config);
    return c.json(result, 200);
  });
  app.openapi(statusRoute, async (c) => {
    const s = c.get("services");
    const config = await findConfig(s, c.get("principal")!, c.req.valid("param").id);
    if (!config) throw notFound("WhatsApp number");
    // The provider's answer is written with RETURNING: no read back.
    const { stored: fresh, ...result } = await checkNumber(s, config);
    const unreachable = result.checks.some((x) => !x.ok) && result.status.connection_state === "unknown";
    return c.json({
      connection_state: unreachable ? config.connectionState : result.status.connection_state,
      quality_rating: result.status.quality_rating ?? fresh.qualityRating,
      messaging_tier: result.status.messaging_tier ?? fresh.messagingTier,
      display_name: result.status.display_name ?? fresh.displayName,
      phone_number: result.status.phone_number ?? fresh.phoneNumber,
      checked_at: (fresh.lastCheckedAt ?? s.clock.now()).toISOString(),
      stale: unreachable,
      last_error: fresh.lastError,
    }, 200);
  });
  app.openapi(qrRoute, async (c) => {
    const s = c.get("services");
    const config = await findConfig(s, c.get("principal")!, c.req.valid("param").id);
    if (!config) throw notFound("WhatsApp number");
    if (config.apiType !== "evolution") {
      throw new ApiError("conflict", `QR codes are for Evolution numbers; this one is ${config.apiType}`);
    }
    const res = await evolution.qrcode(await providerContext(s, config), c.req.valid("query").number);
    if (!res.ok) {
      // The instance may have pushed a fresh code by webhook even if the server is slow now.
      const cached = await s.kv.get(qrKey(config.id));
      if (cached) {
        const q = JSON.parse(cached);
        return c.json({
          state: "awaiting_scan" as const,
          qr_code: q.code,
          qr_image_base64: q.base64,
          pairing_code: q.pairing_code,
        }, 200);
      }
      throw new ApiError(
        "bad_gateway",
        `${res.error.title}${res.error.detail ? `: ${res.error.detail}` : ""}`,
      );
    }
    return c.json(res.qr, 200);
  });
  app.openapi(simulateRoute, async (c) => {
    const s = c.get("services");
    // A playground for dev and tests: the number from the tenant's cached numbers.
    const id = c.req.valid("param").id;
    const config = (await tenantNumbers(s, c.get("principal")!.tenantId!)).find((n) => n.id === id);
    if (!config) throw notFound("WhatsApp number");
    if (config.apiType !== "sandbox") {
      throw new ApiError("conflict", "Only sandbox numbers take simulated messages");
    }
    return c.json(await simulateInbound(s, config, c.req.valid("json")), 201);
  });
  app.openapi(activateRoute, async (c) => {
    const view = unwrap(
      await setActive(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id, true),
    );
    return c.json(view, 200);
  });
  app.openapi(deactivateRoute, async (c) => {
    const view = unwrap(
      await setActive(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id, false),
    );
    return c.json(view, 200);
  });
};
