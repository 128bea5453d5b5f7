import type { App } from "../../src/app.ts";
import { registerWs } from "./ws.ts";

export function registerRealtimeRoutes(app: App): void {
  registerWs(app);
}
