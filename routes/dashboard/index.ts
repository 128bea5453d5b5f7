import type { App } from "../../src/app.ts";
import { registerDashboardExport } from "./export.ts";
import { registerDashboardLive } from "./live.ts";
import { registerDashboardNumbers } from "./numbers.ts";
import { registerDashboardWidgets } from "./widgets.ts";

export function registerDashboardRoutes(app: App): void {
  registerDashboardNumbers(app);
  registerDashboardLive(app);
  registerDashboardWidgets(app);
  registerDashboardExport(app);
}
