import { z } from "@hono/zod-openapi";
import { aiFor } from "../../src/ai/ai-service.ts";
import { entityTypes } from "../../src/ai/offline/entities.ts";
import { intents } from "../../src/ai/offline/intents.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { timeZoneOf } from "../../src/tenants/period.ts";
import { aiProblems, Meta, meta, TAG, tenantOf } from "./schemas.ts";

const Text = z.string().trim().min(1).max(8000);

export const sentimentRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/analyze-sentiment",
  tags: [TAG],
  operationId: "analyzeSentiment",
  summary: "Sentiment of a text",
  description:
    "positive, neutral or negative, with a score from −1 to 1. Offline: a Portuguese lexicon with negation and intensifiers (the words that moved the score are in `cues`); with a model: structured output checked against its schema.",
  request: {
    body: jsonBody(
      z.object({ text: Text.openapi({ example: "Estou muito satisfeito com o atendimento" }) }).openapi(
        "SentimentRequest",
      ),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        sentiment: z.enum(["positive", "neutral", "negative"]),
        score: z.number(),
        cues: z.array(z.object({ text: z.string(), weight: z.number() })),
        ...Meta,
      }).openapi("SentimentResult"),
      "The sentiment.",
    ),
    ...aiProblems,
  },
});

export const intentRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/classify-intent",
  tags: [TAG],
  operationId: "classifyIntent",
  summary: "Intent of a customer message",
  description: `One of: ${
    intents.join(", ")
  }. Tolerant of typos, missing accents and texting shorthand offline.`,
  request: {
    body: jsonBody(
      z.object({ message: Text.openapi({ example: "Quero cancelar minha assinatura" }) }).openapi(
        "IntentRequest",
      ),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        intent: z.enum(intents),
        confidence: z.number(),
        alternatives: z.array(z.object({ intent: z.enum(intents), score: z.number() })),
        ...Meta,
      }).openapi("IntentResult"),
      "The intent.",
    ),
    ...aiProblems,
  },
});

const EntitySchema = z.object({
  type: z.enum(entityTypes),
  value: z.string().openapi({
    description: "Normalised: CPF punctuated, phone E.164, date ISO, money as 99.90.",
  }),
  text: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  valid: z.boolean().openapi({ description: "CPF/CNPJ: the check digits agree." }),
}).openapi("Entity");

export const entitiesRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/extract-entities",
  tags: [TAG],
  operationId: "extractEntities",
  summary: "Entities of a text",
  description:
    "CPF and CNPJ (check digits verified), e-mail, phone (E.164), CEP, dates (relative words resolved in the tenant's time zone), money and protocol numbers.",
  request: {
    body: jsonBody(
      z.object({ text: Text.openapi({ example: "Meu CPF é 529.982.247-25 e meu email é joao@example.com" }) })
        .openapi("EntitiesRequest"),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({ entities: z.array(EntitySchema), ...Meta }).openapi("EntitiesResult"),
      "The entities.",
    ),
    ...aiProblems,
  },
});

export const translateRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/translate",
  tags: [TAG],
  operationId: "translateText",
  summary: "Translate a text",
  description:
    "Needs a model: with the offline provider it answers 503 `ai_unavailable` naming the setting (`provider`) that enables it, never the text untranslated.",
  request: {
    body: jsonBody(
      z.object({
        text: Text.openapi({ example: "Hello, how are you?" }),
        target_language: z.string().trim().regex(
          /^[a-zA-Z]{2,3}([-_][a-zA-Z]{2,4})?$/,
          "A language code such as pt, pt-BR, en, es",
        )
          .openapi({ example: "pt" }),
      }).openapi("TranslateRequest"),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({ text: z.string(), source_language: z.string(), target_language: z.string(), ...Meta })
        .openapi(
          "TranslateResult",
        ),
      "The translation.",
    ),
    ...aiProblems,
  },
});

export const registerAnalyzeRoutes = (app: App) => {
  app.openapi(sentimentRoute, async (c) => {
    const ai = await aiFor(c.get("services"), tenantOf(c));
    const a = unwrap(await ai.sentiment(c.req.valid("json").text));
    return c.json(
      { sentiment: a.value.label, score: a.value.score, cues: a.value.cues, ...meta(ai, a) },
      200,
    );
  });
  app.openapi(intentRoute, async (c) => {
    const ai = await aiFor(c.get("services"), tenantOf(c));
    const a = unwrap(await ai.classifyIntent(c.req.valid("json").message));
    return c.json({ ...a.value, ...meta(ai, a) }, 200);
  });
  app.openapi(entitiesRoute, async (c) => {
    const s = c.get("services");
    const tenantId = tenantOf(c);
    const ai = await aiFor(s, tenantId);
    // The zone resolves relative dates ("amanhã"); authentication already holds the tenant's settings.
    const timeZone = timeZoneOf(c.get("tenant")?.settings);
    const a = unwrap(await ai.entities(c.req.valid("json").text, { timeZone }));
    return c.json({ entities: a.value, ...meta(ai, a) }, 200);
  });
  app.openapi(translateRoute, async (c) => {
    const ai = await aiFor(c.get("services"), tenantOf(c));
    const body = c.req.valid("json");
    const a = unwrap(await ai.translate(body.text, body.target_language));
    return c.json({ ...a.value, ...meta(ai, a) }, 200);
  });
};
