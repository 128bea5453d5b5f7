import type { Services } from "./services.ts";
import { registerTenantPurge } from "./tenants/purge-tenant.ts";

/** Every background job of the app, registered once when the app is built. */
export function registerJobs(s: Services): void {
  registerTenantPurge(s);
}
