import { z } from "@hono/zod-openapi";
import { aiFeatures } from "../../src/ai/ai-port.ts";
import { AiSettingsInput } from "../../src/ai/ai-settings.ts";
import { getAiSettings, updateAiSettings } from "../../src/ai/manage-ai-settings.ts";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, Timestamp } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { TAG, tenantOf } from "./schemas.ts";

const Features = z.object(
  Object.fromEntries(aiFeatures.map((f) => [f, z.boolean()])) as Record<string, z.ZodBoolean>,
);

export const AiSettingsSchema = z.object({
  enabled: z.boolean(),
  provider: z.enum(["offline", "openai"]),
  base_url: z.string().nullable(),
  model: z.string(),
  api_key_set: z.boolean(),
  api_key_hint: z.string().nullable().openapi({ example: "sk-p…x9Qa" }),
  uses_platform_key: z.boolean(),
  temperature: z.number(),
  max_tokens: z.number().int(),
  language: z.enum(["pt-BR", "en", "es"]),
  features: Features,
  monthly_token_budget: z.number().int().nullable(),
  redact_pii: z.boolean(),
  usage: z.object({
    period: z.string().openapi({ example: "2026-11" }),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    total_tokens: z.number().int(),
    requests: z.number().int(),
    budget_remaining: z.number().int().nullable(),
    by_feature: z.array(
      z.object({
        feature: z.string(),
        input_tokens: z.number().int(),
        output_tokens: z.number().int(),
        requests: z.number().int(),
      }),
    ),
  }),
  platform: z.object({ model_available: z.boolean(), default_model: z.string() }),
  updated_at: Timestamp.nullable(),
}).openapi("AiSettings");

export const getSettingsRoute = defineRoute({ permission: "use:ai" }, {
  method: "get",
  path: "/api/v1/ai/settings",
  tags: [TAG],
  operationId: "getAiSettings",
  summary: "AI settings and this month's usage",
  responses: { 200: jsonContent(AiSettingsSchema, "The settings (the API key only as a hint) and usage.") },
});

export const putSettingsRoute = defineRoute({ permission: "write:ai" }, {
  method: "put",
  path: "/api/v1/ai/settings",
  tags: [TAG],
  operationId: "updateAiSettings",
  summary: "Change the AI settings",
  description:
    "Fields left out stay; `features` merge. `provider: openai` needs an `api_key` unless the platform has a model of its own (and then only with the platform's base URL). The key is sealed and never shown again.",
  request: {
    body: jsonBody(
      AiSettingsInput.openapi("AiSettingsChanges", {
        example: { provider: "offline", monthly_token_budget: 200000, redact_pii: true },
      }),
    ),
  },
  responses: { 200: jsonContent(AiSettingsSchema, "The settings as saved.") },
});

export const registerAiSettingsRoutes = (app: App) => {
  app.openapi(getSettingsRoute, async (c) => {
    tenantOf(c);
    return c.json(await getAiSettings(c.get("services"), c.get("principal")!), 200);
  });
  app.openapi(putSettingsRoute, async (c) => {
    tenantOf(c);
    const view = unwrap(
      await updateAiSettings(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 200);
  });
};
