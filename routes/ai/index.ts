import type { App } from "../../src/app.ts";
import { registerAnalyzeRoutes } from "./analyze.ts";
import { registerChatRoute } from "./chat.ts";
import { registerConversationAiRoutes } from "./conversation.ts";
import { registerPromptRoutes } from "./prompts.ts";
import { registerAiSettingsRoutes } from "./settings.ts";
import { registerTemplateRoute } from "./template.ts";

/** Section 10 of the spec: the AI assistant (src/ai/ai-service.ts is what the routes call). */
export function registerAiRoutes(app: App): void {
  registerChatRoute(app);
  registerAnalyzeRoutes(app);
  registerConversationAiRoutes(app);
  registerTemplateRoute(app);
  registerAiSettingsRoutes(app);
  registerPromptRoutes(app);
}
