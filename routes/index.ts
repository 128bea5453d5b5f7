import type { App } from "../src/app.ts";
import { registerAiRoutes } from "./ai/index.ts";
import { registerAuthRoutes } from "./auth/index.ts";
import { registerContactRoutes } from "./contacts/index.ts";
import { registerConversationRoutes } from "./conversations/index.ts";
import { registerDashboardRoutes } from "./dashboard/index.ts";
import { registerErpRoutes } from "./erp/index.ts";
import { registerJobReceiver } from "./internal/jobs.ts";
import { registerMessageRoutes } from "./messages/index.ts";
import { registerObservabilityRoutes } from "./observability/index.ts";
import { registerRealtimeRoutes } from "./realtime/index.ts";
import { registerTenantRoutes } from "./tenants/index.ts";
import { registerUserRoutes } from "./users/index.ts";
import { registerWebhookRoutes } from "./webhooks/index.ts";
import { registerWhatsAppConfigRoutes } from "./whatsapp-configs/index.ts";

/** Every route of the API, registered explicitly, section by section. */
export function registerRoutes(app: App): void {
  registerAuthRoutes(app);
  registerWhatsAppConfigRoutes(app);
  registerMessageRoutes(app);
  registerConversationRoutes(app);
  registerContactRoutes(app);
  registerWebhookRoutes(app);
  registerDashboardRoutes(app);
  registerAiRoutes(app);
  registerErpRoutes(app);
  registerTenantRoutes(app);
  registerUserRoutes(app);
  registerRealtimeRoutes(app);
  registerObservabilityRoutes(app);
  registerJobReceiver(app);
}
