import type { Logger } from "../observability/logger.ts";
import type { TraceContext } from "../observability/tracing.ts";
import type { Services } from "../services.ts";
import type { Principal } from "../auth/principal.ts";
import type { TenantState } from "../auth/principal-state.ts";

/** What each runtime entry passes as Hono's `env` (never the process environment). */
export interface AppBindings {
  /** The caller's address as the runtime saw it (Deno's remoteAddr, Cloudflare's header). */
  clientIp?: string;
}

export interface AppVariables {
  services: Services;
  requestId: string;
  trace: TraceContext;
  log: Logger;
  /** The route's template (`/api/v1/users/{id}`), set by routes made with `defineRoute`. */
  route?: string;
  /** The body media types the route accepts (`application/json`, `multipart/form-data`), for a 415's detail. */
  bodyTypes?: readonly string[];
  /** Set by `authenticate` on protected routes. */
  principal?: Principal;
  /**
   * The principal's tenant (status, plan, settings) as authentication read it, from the KV
   * cache: reading the tenant's time zone or thresholds here costs no round trip.
   */
  tenant?: TenantState;
}

export type AppEnv = { Bindings: AppBindings; Variables: AppVariables };
