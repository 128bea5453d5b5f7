import { registerImportJobs } from "./contacts/import/contact-imports.ts";
import { registerErpSyncJob } from "./erp/sync.ts";
import type { Services } from "./services.ts";
import { registerSweepJob } from "./sweeps.ts";
import { registerWebhookDelivery } from "./webhooks/deliver-webhooks.ts";
import { registerTenantPurge } from "./tenants/purge-tenant.ts";
import { registerWebhookJobs } from "./whatsapp/inbound/ingest.ts";
import { registerSandboxJobs } from "./whatsapp/providers/sandbox.ts";
import { registerSendJobs } from "./whatsapp/send-message.ts";

/** Every background job of the app, registered once when the app is built. */
export function registerJobs(s: Services): void {
  registerTenantPurge(s);
  registerSendJobs(s);
  registerWebhookJobs(s);
  registerSandboxJobs(s);
  registerImportJobs(s);
  registerWebhookDelivery(s);
  registerErpSyncJob(s);
  registerSweepJob(s);
}
