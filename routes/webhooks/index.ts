import type { App } from "../../src/app.ts";
import { registerWebhookActions } from "./actions.ts";
import { registerWebhookCrud } from "./crud.ts";
import { registerEventDocs } from "./event-docs.ts";

export function registerWebhookRoutes(app: App): void {
  registerWebhookCrud(app);
  registerWebhookActions(app);
  registerEventDocs(app);
}
