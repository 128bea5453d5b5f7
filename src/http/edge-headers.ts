import type { Config } from "../config.ts";

/**
 * Security and CORS headers, computed once from the config and set on every response in one
 * pass. (Hono's `cors` and `secureHeaders` middlewares did the same work per request and cost
 * more than the rest of the stack together; see docs/benchmarks.md.)
 */
export interface EdgeHeaders {
  /** For every API response. */
  api: [string, string][];
  /** For the HTML reference at /docs: everything it loads is ours (its script, the spec). */
  docs: [string, string][];
  /** Answers a CORS preflight, or returns null when the request is not one. */
  preflight(req: Request): Response | null;
  /** `Access-Control-Allow-Origin` for this request's origin (null: not allowed). */
  allowOrigin(origin: string | null): string | null;
  /**
   * The CORS headers of an answer. Only a cross-origin request from a browser carries `Origin`,
   * and only such a request reads them, so the others are spared two headers each.
   */
  cors(origin: string | null, headers: Headers): void;
}

/** For documents only (they say how a page may open others or send its address). */
const DOCUMENT_ONLY = new Set(["Referrer-Policy", "Cross-Origin-Opener-Policy"]);
const CORS_ONLY = new Set(["Access-Control-Expose-Headers"]);

const ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, traceparent";
const ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const EXPOSE_HEADERS =
  "X-Request-Id, traceparent, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Location";

export function edgeHeaders(config: Config): EdgeHeaders {
  const common: [string, string][] = [
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "no-referrer"],
    ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
    ["X-Frame-Options", "DENY"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Access-Control-Expose-Headers", EXPOSE_HEADERS],
  ];
  const anyOrigin = config.corsOrigins === "*";
  const allowed = new Set(anyOrigin ? [] : config.corsOrigins);
  const allowOrigin = (origin: string | null) =>
    anyOrigin ? "*" : origin && allowed.has(origin) ? origin : null;
  return {
    // JSON answers: what OWASP's REST cheat sheet asks for (nosniff, HSTS, framing, CSP).
    api: [
      ...common.filter(([k]) => !DOCUMENT_ONLY.has(k) && !CORS_ONLY.has(k)),
      ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
      ["Cross-Origin-Resource-Policy", "cross-origin"],
    ],
    docs: [
      ...common,
      [
        "Content-Security-Policy",
        // connect-src https: lets the reference's "try it" reach the API's documented servers.
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self' https:",
      ],
    ],
    allowOrigin,
    cors(origin, h) {
      // A list of origins makes every answer depend on the caller's `Origin`.
      if (!anyOrigin) h.append("Vary", "Origin");
      if (origin === null) return;
      const allowedOrigin = allowOrigin(origin);
      if (!allowedOrigin) return;
      h.set("Access-Control-Allow-Origin", allowedOrigin);
      h.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    },
    preflight(req) {
      if (req.method !== "OPTIONS" || !req.headers.get("access-control-request-method")) return null;
      const origin = allowOrigin(req.headers.get("origin"));
      const headers = new Headers({
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
        Vary: "Origin",
      });
      if (origin) headers.set("Access-Control-Allow-Origin", origin);
      return new Response(null, { status: 204, headers });
    },
  };
}
