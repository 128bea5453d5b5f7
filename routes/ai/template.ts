import { z } from "@hono/zod-openapi";
import { aiFor } from "../../src/ai/ai-service.ts";
import { loadPromptsForAi } from "../../src/ai/conversation-context.ts";
import { renderPrompt } from "../../src/ai/prompts.ts";
import {
  templateCategories,
  TemplateDraftSchema,
  templateName,
  templatePreview,
  validateTemplate,
} from "../../src/ai/template-rules.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { aiProblems, Meta, meta, TAG, tenantOf } from "./schemas.ts";

export const templateRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/generate-template",
  tags: [TAG],
  operationId: "generateTemplate",
  summary: "Draft a WhatsApp message template",
  description:
    "A template in Meta's creation format (category, body with numbered variables and their examples, header, footer, buttons), checked against Meta's rules before it is returned: body ≤ 1,024 characters, variables {{1}}… in order and never at the ends or side by side, header and footer ≤ 60, ≤ 10 buttons with quick replies ≤ 25 characters, authentication templates in Meta's fixed shape.",
  request: {
    body: jsonBody(
      z.object({
        purpose: z.string().trim().min(2).max(200).openapi({ example: "welcome_message" }),
        tone: z.enum(["formal", "friendly", "informal", "neutral"]).optional().openapi({ example: "formal" }),
        category: z.enum(templateCategories).optional(),
        language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "A Meta locale code such as pt_BR").optional()
          .openapi({
            description: "Meta locale code (default pt_BR).",
          }),
        name: z.string().regex(/^[a-z0-9_]{1,512}$/, "Lower-case letters, digits and underscores").optional(),
        description: z.string().trim().max(1000).optional().openapi({
          description: "What the message should say.",
        }),
        quick_replies: z.array(z.string().trim().min(1).max(25)).max(10).optional(),
      }).openapi("GenerateTemplateRequest"),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        template: TemplateDraftSchema,
        preview: z.string().openapi({ description: "The body with its examples filled in." }),
        ...Meta,
      }).openapi("GeneratedTemplate"),
      "A draft that passes Meta's rules; submit it to Meta for approval.",
    ),
    ...aiProblems,
  },
});

export const registerTemplateRoute = (app: App) => {
  app.openapi(templateRoute, async (c) => {
    const s = c.get("services");
    const body = c.req.valid("json");
    const tenantId = tenantOf(c);
    const loaded = await loadPromptsForAi(s, tenantId, "template");
    const ai = await aiFor(s, tenantId, loaded.settings);
    const instructions = loaded.prompts[0] ? renderPrompt(loaded.prompts[0].content, {}) : undefined;
    const a = unwrap(
      await ai.draftTemplate({
        purpose: body.purpose,
        tone: body.tone ?? "formal",
        category: body.category,
        language: body.language ?? "pt_BR",
        name: body.name ?? templateName(body.purpose),
        description: body.description,
        quick_replies: body.quick_replies,
      }, instructions),
    );
    // Whatever wrote it, nothing leaves that Meta would refuse.
    const errors = validateTemplate(a.value);
    if (errors.length) {
      throw new ApiError("ai_bad_output", "The drafted template breaks Meta's rules", { errors });
    }
    return c.json({ template: a.value, preview: templatePreview(a.value), ...meta(ai, a) }, 200);
  });
};
