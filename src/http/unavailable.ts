/**
 * Tells a backing service outage (database or KV unreachable) from a bug, walking the `cause`
 * chain that drizzle and the HTTP clients wrap around the network error. An outage answers 503
 * and the process carries on; it recovers by itself when the service returns.
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

export class ServiceUnavailableError extends Error {
  constructor(readonly service: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceUnavailableError";
  }
}

export function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    if (e instanceof ServiceUnavailableError) return true;
    const x = e as {
      name?: string;
      code?: unknown;
      message?: unknown;
      sourceError?: unknown;
      cause?: unknown;
    };
    if (
      typeof x.code === "string" &&
      (NETWORK_CODES.has(x.code) || x.code.startsWith("08") || x.code === "57P01")
    ) {
      return true;
    }
    const msg = typeof x.message === "string" ? x.message : "";
    // fetch() failures: Deno says "error sending request", Workers/undici "fetch failed",
    // the Neon driver "Error connecting to database", Upstash the fetch error verbatim.
    if (
      /error sending request|fetch failed|Error connecting to database|Connection refused|connection error|Server error \(HTTP status 5\d\d\)/i
        .test(msg)
    ) return true;
    if (/PGlite is closed/i.test(msg)) return true;
    e = x.sourceError ?? x.cause;
  }
  return false;
}
