import type { App } from "../../src/app.ts";
import { registerCreateTenant } from "./create.ts";
import { registerGetTenant } from "./get.ts";
import { registerTenantLifecycle } from "./lifecycle.ts";
import { registerListTenants } from "./list.ts";
import { registerUpdateTenant } from "./update.ts";

export function registerTenantRoutes(app: App): void {
  registerListTenants(app);
  registerCreateTenant(app);
  registerGetTenant(app);
  registerUpdateTenant(app);
  registerTenantLifecycle(app);
}
