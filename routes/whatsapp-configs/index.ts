import type { App } from "../../src/app.ts";
import { registerConfigActions } from "./actions.ts";
import { registerConfigCrud } from "./crud.ts";

export function registerWhatsAppConfigRoutes(app: App): void {
  registerConfigCrud(app);
  registerConfigActions(app);
}
