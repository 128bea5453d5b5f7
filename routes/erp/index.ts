import type { App } from "../../src/app.ts";
import { registerErpConnectionRoutes } from "./connection.ts";
import { registerErpCustomerRoutes } from "./customers.ts";
import { registerErpInvoiceRoutes } from "./invoices.ts";
import { registerErpObservabilityRoutes } from "./observability.ts";
import { registerErpSyncRoutes } from "./sync.ts";
import { registerErpTicketRoutes } from "./tickets.ts";
import { registerErpWebhookRoute } from "./webhook.ts";

/** Spec section 9: ISP ERPs (IXC, SGP, MK, HubSoft and the sandbox ISP). `metrics` first: a static segment. */
export function registerErpRoutes(app: App): void {
  registerErpObservabilityRoutes(app);
  registerErpConnectionRoutes(app);
  registerErpCustomerRoutes(app);
  registerErpInvoiceRoutes(app);
  registerErpTicketRoutes(app);
  registerErpSyncRoutes(app);
  registerErpWebhookRoute(app);
}
