import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env.ts";
import { ApiError, type ProblemCode } from "./problem.ts";
import { isUnavailable } from "./unavailable.ts";

/** `c.body` keeps headers set earlier in the request (RateLimit-*, CORS). */
export function problemResponse(c: Context<AppEnv>, err: ApiError): Response {
  const requestId = c.get("requestId") ?? "unknown";
  return c.body(JSON.stringify(err.body(requestId)), err.status as 400, {
    ...err.options.headers,
    "Content-Type": "application/problem+json",
  });
}

/** Hono's own exceptions (from validators, body limit, …) mapped onto our codes. */
function fromHttpException(e: HTTPException, bodyTypes: readonly string[] = ["application/json"]): ApiError {
  const byStatus: Record<number, [ProblemCode, string]> = {
    400: ["malformed_json", "The body is not valid JSON"],
    401: ["unauthorized", "Authentication required"],
    403: ["forbidden", "Forbidden"],
    404: ["not_found", "Not found"],
    413: ["payload_too_large", "The body is larger than allowed"],
    415: ["unsupported_media_type", `Send the body as ${bodyTypes.map((t) => `\`${t}\``).join(" or ")}`],
  };
  const [code, detail] = byStatus[e.status] ?? ["bad_request", e.message || "Bad request"];
  // Only the JSON parser's 400 is about JSON; keep other 400 messages as they are.
  if (e.status === 400 && !/json/i.test(e.message)) return new ApiError("bad_request", e.message || detail);
  return new ApiError(code, detail);
}

/** The one `onError`: every failure leaves as problem+json; internals never leave at all. */
export const errorHandler: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return problemResponse(c, err);
  if (err instanceof HTTPException) return problemResponse(c, fromHttpException(err, c.get("bodyTypes")));
  const log = c.get("log") ?? c.get("services")?.obs.log;
  if (isUnavailable(err)) {
    log?.error("backing service unavailable", { error: err });
    return problemResponse(
      c,
      new ApiError("service_unavailable", "A backing service is unavailable; retry shortly", {
        headers: { "Retry-After": "5" },
      }),
    );
  }
  log?.error("unhandled error", { error: err });
  return problemResponse(
    c,
    new ApiError("internal_error", "Something went wrong on our side; quote the request_id if you report it"),
  );
};

type RouteEntry = { method: string; path: string };

/** Turns Hono's path pattern into a matcher (`:param` and `*` segments). */
function matcher(path: string): RegExp {
  const pattern = path.split("/").map((seg) =>
    seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  // Hono is strict about a trailing slash, and so is this: `/contacts/` is not `/contacts/{id}`.
  return new RegExp(`^${pattern}$`);
}

/**
 * 404 for a path nothing serves, 405 with `Allow` for a path served under other methods. Built
 * after every route is registered, from the app's own route table.
 */
export function notFoundHandler(routes: RouteEntry[]): NotFoundHandler<AppEnv> {
  const table = routes
    .filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
    .map((r) => ({ method: r.method, re: matcher(r.path) }));
  return (c) => {
    const allowed = [...new Set(table.filter((r) => r.re.test(c.req.path)).map((r) => r.method))];
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      allowed.push("OPTIONS");
      return problemResponse(
        c,
        new ApiError("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}`, {
          headers: { Allow: allowed.join(", ") },
        }),
      );
    }
    return problemResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`));
  };
}
