import { z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { ChatMessage } from "../../src/ai/ai-port.ts";
import { aiFor } from "../../src/ai/ai-service.ts";
import {
  conversationValues,
  loadConversationForAi,
  loadPromptsForAi,
} from "../../src/ai/conversation-context.ts";
import { renderPrompt } from "../../src/ai/prompts.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError, notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { aiProblems, Meta, TAG, tenantOf } from "./schemas.ts";

const ChatBody = z.object({
  message: z.string().trim().min(1).max(8000).openapi({ example: "Como posso ajudar?" }),
  context: z.record(z.string(), z.unknown()).optional().refine(
    (v) => v === undefined || JSON.stringify(v).length <= 16_384,
    "Context up to 16 KB",
  ).openapi({
    description: "Free context for the model (an ERP customer, an order…).",
    example: { plano: "300 Mega" },
  }),
  conversation_id: z.uuid().optional().openapi({
    description: "A conversation whose messages the model reads first.",
  }),
  prompt_id: z.uuid().optional().openapi({
    description: "One of the tenant's chat prompts; the newest active one when absent.",
  }),
  model: z.string().trim().min(1).max(100).optional().openapi({
    example: "gpt-4o-mini",
    description: "This call's model instead of the settings' (model providers only).",
  }),
  stream: z.boolean().optional().openapi({
    description:
      "Answer `text/event-stream`: `delta` events `{text}`, then one `done` event `{model, usage}` (or `error` `{code, detail}`).",
  }),
}).openapi("ChatRequest");

export const chatRoute = defineRoute({ permission: "use:ai" }, {
  method: "post",
  path: "/api/v1/ai/chat",
  tags: [TAG],
  operationId: "aiChat",
  summary: "Chat with the assistant",
  description:
    "Asks the assistant, with the tenant's chat prompt as instructions and, when given, a conversation's messages or free `context`. Offline it answers like a bot, from the canned answer to the message's intent.",
  request: { body: jsonBody(ChatBody) },
  responses: {
    200: {
      description: "The answer (JSON), or its stream (`stream: true`).",
      content: {
        "application/json": {
          schema: z.object({ reply: z.string(), conversation_id: z.uuid().nullable(), ...Meta }).openapi(
            "ChatResult",
          ),
        },
        "text/event-stream": {
          schema: z.string().openapi({ example: 'event: delta\ndata: {"text":"Olá"}\n\n' }),
        },
      },
    },
    404: problemResponse("No such conversation (or prompt) in the caller's tenant."),
    ...aiProblems,
  },
});

const ROLE = { customer: "Cliente", agent: "Atendente", bot: "Bot" } as const;

export const registerChatRoute = (app: App) => {
  app.openapi(chatRoute, async (c) => {
    const s = c.get("services");
    const body = c.req.valid("json");
    const tenantId = tenantOf(c);
    const loaded = body.conversation_id
      ? await loadConversationForAi(s, tenantId, body.conversation_id, "chat")
      : { ...(await loadPromptsForAi(s, tenantId, "chat")), conversation: null };
    if (body.conversation_id && !loaded.conversation) throw notFound("Conversation");
    const prompt = body.prompt_id ? loaded.prompts.find((p) => p.id === body.prompt_id) : loaded.prompts[0];
    if (body.prompt_id && !prompt) throw notFound("Prompt");
    const conversation = loaded.conversation;
    const messages: ChatMessage[] = [];
    const system = [
      prompt ? renderPrompt(prompt.content, conversation ? conversationValues(conversation) : {}) : "",
      body.context ? `Context (JSON): ${JSON.stringify(body.context)}` : "",
      conversation
        ? `WhatsApp conversation so far:\n${
          conversation.lines.map((l) => `${ROLE[l.role]}: ${l.text}`).join("\n")
        }`
        : "",
    ].filter(Boolean).join("\n\n");
    if (system) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: body.message });
    const ai = await aiFor(s, tenantId, loaded.settings);

    if (!body.stream) {
      const a = unwrap(await ai.chat(messages, body.model));
      return c.json({
        reply: a.value,
        conversation_id: conversation?.id ?? null,
        provider: ai.providerKind,
        model: a.model,
        usage: { input_tokens: a.usage.inputTokens, output_tokens: a.usage.outputTokens },
      }, 200);
    }
    // Failures before the first byte are ordinary problems; after it, an `error` event.
    const started = unwrap(await ai.chatStream(messages, body.model));
    return streamSSE(c, async (sse) => {
      try {
        for await (const part of started) {
          if (part.type === "delta") {
            await sse.writeSSE({ event: "delta", data: JSON.stringify({ text: part.text }) });
          } else {
            await sse.writeSSE({
              event: "done",
              data: JSON.stringify({
                provider: ai.providerKind,
                model: part.model,
                conversation_id: conversation?.id ?? null,
                usage: { input_tokens: part.usage.inputTokens, output_tokens: part.usage.outputTokens },
              }),
            });
          }
        }
      } catch (err) {
        c.get("log").warn("ai stream failed", { error: err });
        const e = err instanceof ApiError
          ? err
          : new ApiError("ai_provider_error", "The AI provider's stream broke off");
        await sse.writeSSE({ event: "error", data: JSON.stringify({ code: e.code, detail: e.detail }) });
      }
    }) as never;
  });
};
