import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { inRequestScope } from "../core/after-answer.ts";
import { uuidv7 } from "../core/ids.ts";
import { continueTrace, formatTraceparent } from "../observability/tracing.ts";
import type { Services } from "../services.ts";
import type { AppEnv } from "./app-env.ts";
import { background } from "./background.ts";
import { edgeHeaders } from "./edge-headers.ts";

/** A caller-supplied id is kept when it is short and plain, so logs join across services. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Route template for metrics and logs when the route did not name itself (routes made with
 * `defineRoute` do, which is cheaper); unmatched paths collapse into one label.
 */
function routeLabel(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const p = routePath(c, -1);
  return !p || p === "*" || p === "/*" ? "unmatched" : p;
}

export function clientIp(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  return c.env?.clientIp ?? "unknown";
}

/**
 * First middleware of the app: gives the request its id, trace and services, and when the
 * response is ready records one log line, the request metrics and a span.
 */
export function requestContext(services: Services): MiddlewareHandler<AppEnv> {
  const { obs } = services;
  const headers = edgeHeaders(services.config);
  return async (c, next) => {
    const started = performance.now();
    const preflight = headers.preflight(c.req.raw);
    if (preflight) return preflight;
    const incoming = c.req.header("x-request-id");
    const ours = incoming && SAFE_REQUEST_ID.test(incoming) ? undefined : uuidv7();
    const requestId = ours ?? incoming!;
    const trace = continueTrace(c.req.header("traceparent"), ours?.replaceAll("-", ""));
    c.set("services", services);
    c.set("requestId", requestId);
    c.set("trace", trace);
    c.set("log", obs.log.child({ request_id: requestId, trace_id: trace.traceId }));
    try {
      // Work held for after the answer (src/core/after-answer.ts) goes to waitUntil.
      await inRequestScope(next, (work) => background(c, work));
    } finally {
      const status = c.res.status;
      const seconds = (performance.now() - started) / 1000;
      const route = c.get("route") ?? routeLabel(c);
      const method = c.req.method;
      // A 101 (WebSocket) response has immutable headers.
      if (status !== 101) {
        const h = c.res.headers;
        h.set("X-Request-Id", requestId);
        h.set("traceparent", formatTraceparent(trace));
        for (const [k, v] of c.req.path === "/docs" ? headers.docs : headers.api) h.set(k, v);
        const origin = headers.allowOrigin(c.req.header("origin") ?? null);
        if (origin) h.set("Access-Control-Allow-Origin", origin);
        if (origin && origin !== "*") h.append("Vary", "Origin");
      }
      obs.metrics.httpRequests.inc({ route, method, status: String(status) });
      obs.metrics.httpDuration.observe({ route, method }, seconds);
      const principal = c.get("principal");
      const latencyMs = Math.round(seconds * 10_000) / 10;
      obs.spans.record({
        trace_id: trace.traceId,
        span_id: trace.spanId,
        parent_span_id: trace.parentSpanId ?? null,
        name: `${method} ${route}`,
        kind: "server",
        start_ms: Date.now() - seconds * 1000,
        duration_ms: latencyMs,
        status: status >= 500 ? "error" : "ok",
        attributes: {
          "http.request.method": method,
          "http.route": route,
          "http.response.status_code": status,
          "request.id": requestId,
          ...(principal?.tenantId ? { "tenant.id": principal.tenantId } : {}),
        },
      });
      const fields = {
        service: "http",
        request_id: requestId,
        trace_id: trace.traceId,
        method,
        route,
        path: c.req.path,
        status,
        latency_ms: latencyMs,
        ip: clientIp(c),
        ...(principal?.tenantId ? { tenant_id: principal.tenantId } : {}),
        ...(principal?.kind === "user" ? { user_id: principal.userId } : {}),
        ...(principal?.kind === "api_key" ? { api_key_id: principal.keyId } : {}),
      };
      if (status >= 500) obs.log.error("request", fields);
      else obs.log.info("request", fields);
    }
  };
}
