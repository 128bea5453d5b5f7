import { z } from "@hono/zod-openapi";
import { aiFor } from "../../src/ai/ai-service.ts";
import { conversationValues, loadConversationForAi } from "../../src/ai/conversation-context.ts";
import { intents } from "../../src/ai/offline/intents.ts";
import { classifyIntent } from "../../src/ai/offline/intents.ts";
import { renderPrompt } from "../../src/ai/prompts.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { aiProblems, Meta, meta, TAG, tenantOf } from "./schemas.ts";

const ConversationId = z.uuid().openapi({ example: "0192f0c4-7a3e-7c41-9d2e-5b8f1a6c3e21" });
const PromptId = z.uuid().optional().openapi({
  description: "One of the tenant's prompts of this purpose; the newest active one when absent.",
});

export const summarizeRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/summarize",
  tags: [TAG],
  operationId: "summarizeConversation",
  summary: "Summarise a conversation",
  description:
    "Reads the conversation's last 60 messages. Offline: an extractive summary (what the customer wants, mood and its trend, the sentences that carry the case); with a model: the tenant's summarize prompt as instructions.",
  request: {
    body: jsonBody(
      z.object({ conversation_id: ConversationId, prompt_id: PromptId }).openapi("SummarizeRequest"),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        conversation_id: z.uuid(),
        summary: z.string(),
        key_points: z.array(z.string()),
        intent: z.enum(intents),
        sentiment: z.enum(["positive", "neutral", "negative"]),
        sentiment_trend: z.enum(["improving", "worsening", "stable"]),
        resolved: z.boolean(),
        message_count: z.number().int(),
        ...Meta,
      }).openapi("ConversationSummary"),
      "The summary.",
    ),
    404: problemResponse("No such conversation in the caller's tenant."),
    ...aiProblems,
  },
});

export const suggestRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/suggest-response",
  tags: [TAG],
  operationId: "suggestResponse",
  summary: "Suggest replies for a conversation",
  description:
    "Replies an agent could send next. The tenant's `suggest` prompts tied to the intent of the customer's message come first (rendered with the conversation's variables), then the built-in canned answers offline, or the model's suggestions.",
  request: {
    body: jsonBody(
      z.object({
        conversation_id: ConversationId,
        last_message: z.string().trim().min(1).max(4000).optional().openapi({
          example: "Qual o status do meu pedido?",
          description: "The message to answer; the conversation's last customer message when absent.",
        }),
        count: z.number().int().min(1).max(5).optional().openapi({
          description: "How many suggestions (default 3).",
        }),
      }).openapi("SuggestRequest"),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        conversation_id: z.uuid(),
        intent: z.enum(intents),
        suggestions: z.array(
          z.object({
            text: z.string(),
            source: z.enum(["prompt", "canned", "model"]),
            prompt_id: z.uuid().optional(),
          }),
        ),
        ...Meta,
      }).openapi("SuggestResult"),
      "The suggestions.",
    ),
    404: problemResponse("No such conversation in the caller's tenant."),
    ...aiProblems,
  },
});

export const registerConversationAiRoutes = (app: App) => {
  app.openapi(summarizeRoute, async (c) => {
    const s = c.get("services");
    const body = c.req.valid("json");
    const tenantId = tenantOf(c);
    const loaded = await loadConversationForAi(s, tenantId, body.conversation_id, "summarize");
    if (!loaded.conversation) throw notFound("Conversation");
    const prompt = body.prompt_id ? loaded.prompts.find((p) => p.id === body.prompt_id) : loaded.prompts[0];
    if (body.prompt_id && !prompt) throw notFound("Prompt");
    const ai = await aiFor(s, tenantId, loaded.settings);
    const conversation = loaded.conversation;
    const a = unwrap(
      await ai.summarize(
        conversation.lines,
        prompt ? renderPrompt(prompt.content, conversationValues(conversation)) : undefined,
      ),
    );
    return c.json({
      conversation_id: conversation.id,
      ...a.value,
      message_count: conversation.lines.length,
      ...meta(ai, a),
    }, 200);
  });

  app.openapi(suggestRoute, async (c) => {
    const s = c.get("services");
    const body = c.req.valid("json");
    const tenantId = tenantOf(c);
    const loaded = await loadConversationForAi(s, tenantId, body.conversation_id, "suggest");
    if (!loaded.conversation) throw notFound("Conversation");
    const conversation = loaded.conversation;
    const lastMessage = body.last_message ?? conversation.lastCustomerMessage ?? "";
    const values = conversationValues(conversation, lastMessage);
    const ai = await aiFor(s, tenantId, loaded.settings);
    const general = loaded.prompts.find((p) => !p.intent);
    const a = unwrap(
      await ai.suggest({
        lines: conversation.lines,
        lastMessage,
        count: body.count ?? 3,
        contactName: conversation.contact.name,
        prompts: loaded.prompts.filter((p) => p.intent).map((p) => ({
          id: p.id,
          name: p.name,
          intent: p.intent,
          text: renderPrompt(p.content, values),
        })),
      }, general ? renderPrompt(general.content, values) : undefined),
    );
    return c.json({
      conversation_id: conversation.id,
      intent: classifyIntent(lastMessage).intent,
      suggestions: a.value,
      ...meta(ai, a),
    }, 200);
  });
};
