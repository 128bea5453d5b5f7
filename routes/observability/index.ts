import type { App } from "../../src/app.ts";
import { registerHealth } from "./health.ts";
import { registerLive } from "./live.ts";
import { registerLogs } from "./logs.ts";
import { registerMetrics } from "./metrics.ts";
import { registerReady } from "./ready.ts";
import { registerTraces } from "./traces.ts";

export function registerObservabilityRoutes(app: App): void {
  registerMetrics(app);
  registerHealth(app);
  registerReady(app);
  registerLive(app);
  registerTraces(app);
  registerLogs(app);
}
