import type { App } from "../src/app.ts";
import { registerAuthRoutes } from "./auth/index.ts";
import { registerJobReceiver } from "./internal/jobs.ts";
import { registerObservabilityRoutes } from "./observability/index.ts";

/** Every route of the API, registered explicitly, section by section. */
export function registerRoutes(app: App): void {
  registerAuthRoutes(app);
  registerObservabilityRoutes(app);
  registerJobReceiver(app);
}
