import type { App } from "../../src/app.ts";
import { registerHistoryRoutes } from "./history.ts";
import { registerSendRoutes } from "./send.ts";
import { registerWebhookRoutes } from "./webhook.ts";

export function registerMessageRoutes(app: App): void {
  registerSendRoutes(app);
  registerWebhookRoutes(app);
  registerHistoryRoutes(app);
}
