import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { uuidv7 } from "../core/ids.ts";
import type { Logger } from "../observability/logger.ts";
import { continueTrace, formatTraceparent, newTrace } from "../observability/tracing.ts";
import type { Services } from "../services.ts";
import type { AppEnv } from "./app-env.ts";
import { edgeHeaders } from "./edge-headers.ts";

/** A caller-supplied id is kept when it is short and plain, so logs join across services. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Route template for metrics and logs when the route did not name itself (routes made with
 * `defineRoute` do, which is cheaper); unmatched paths collapse into one label.
 */
function routeLabel(c: Context<AppEnv>): string {
  const p = routePath(c, -1);
  return !p || p === "*" || p === "/*" ? "unmatched" : p;
}

export function clientIp(c: Context<AppEnv>): string {
  return c.env?.clientIp ?? "unknown";
}

/**
 * The request's logger, made only when something logs through it: most requests log nothing but
 * their one request line, and a child logger copies its fields on creation.
 */
class RequestLogger implements Logger {
  #child: Logger | undefined;
  constructor(
    private readonly root: Logger,
    private readonly requestId: string,
    private readonly traceId: string,
  ) {}
  #log(): Logger {
    return this.#child ??= this.root.child({ request_id: this.requestId, trace_id: this.traceId });
  }
  debug(msg: string, f?: Record<string, unknown>) {
    this.#log().debug(msg, f);
  }
  info(msg: string, f?: Record<string, unknown>) {
    this.#log().info(msg, f);
  }
  warn(msg: string, f?: Record<string, unknown>) {
    this.#log().warn(msg, f);
  }
  error(msg: string, f?: Record<string, unknown>) {
    this.#log().error(msg, f);
  }
  child(more: Record<string, unknown>): Logger {
    return this.#log().child(more);
  }
}

/**
 * First middleware of the app: gives the request its id, trace and services, and when the
 * response is ready records one log line, the request metrics and a span. It runs on every
 * request, so it does the least it can (docs/benchmarks.md, "HTTP stack"): one random draw for
 * the id (the trace and span ids come from it), the logger made on first use, the span kept flat
 * and assembled only when the traces are read, the headers from lists computed once.
 */
export function requestContext(services: Services): MiddlewareHandler<AppEnv> {
  const { obs } = services;
  const headers = edgeHeaders(services.config);
  return async (c, next) => {
    const started = performance.now();
    const raw = c.req.raw;
    if (raw.method === "OPTIONS") {
      const preflight = headers.preflight(raw);
      if (preflight) return preflight;
    }
    const incoming = raw.headers.get("x-request-id");
    const ours = incoming !== null && SAFE_REQUEST_ID.test(incoming) ? undefined : uuidv7();
    const requestId = ours ?? incoming!;
    const traceparent = raw.headers.get("traceparent");
    const idHex = ours?.replaceAll("-", "");
    const trace = traceparent !== null || !idHex ? continueTrace(traceparent, idHex) : newTrace(idHex);
    c.set("services", services);
    c.set("requestId", requestId);
    c.set("trace", trace);
    c.set("log", new RequestLogger(obs.log, requestId, trace.traceId));
    try {
      await next();
    } finally {
      const res = c.res;
      const status = res.status;
      const seconds = (performance.now() - started) / 1000;
      const route = c.get("route") ?? routeLabel(c);
      const method = raw.method;
      // A 101 (WebSocket) response has immutable headers.
      if (status !== 101) {
        const h = res.headers;
        h.set("X-Request-Id", requestId);
        h.set("traceparent", formatTraceparent(trace));
        const list = c.req.path === "/docs" ? headers.docs : headers.api;
        for (let i = 0; i < list.length; i++) h.set(list[i][0], list[i][1]);
        headers.cors(raw.headers.get("origin"), h);
      }
      obs.metrics.httpRequests.inc({ route, method, status: String(status) });
      obs.metrics.httpDuration.observe({ route, method }, seconds);
      const principal = c.get("principal");
      const tenantId = principal?.tenantId ?? null;
      const latencyMs = Math.round(seconds * 10_000) / 10;
      obs.spans.record({
        traceId: trace.traceId,
        spanId: trace.spanId,
        parentSpanId: trace.parentSpanId ?? null,
        method,
        route,
        status,
        requestId,
        tenantId,
        startMs: Date.now() - latencyMs,
        durationMs: latencyMs,
      });
      const fields: Record<string, unknown> = {
        service: "http",
        request_id: requestId,
        trace_id: trace.traceId,
        method,
        route,
        path: c.req.path,
        status,
        latency_ms: latencyMs,
        ip: clientIp(c),
      };
      if (tenantId) fields.tenant_id = tenantId;
      if (principal?.kind === "user") fields.user_id = principal.userId;
      else if (principal?.kind === "api_key") fields.api_key_id = principal.keyId;
      if (status >= 500) obs.log.error("request", fields);
      else obs.log.info("request", fields);
    }
  };
}
