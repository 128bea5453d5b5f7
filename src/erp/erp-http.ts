import type { ErpCallOutcome } from "../../db/schema/index.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Failure, ProblemCode } from "../http/problem.ts";
import { guardedFetch, OutboundRefused } from "../platform/http/guarded-fetch.ts";
import type { Services } from "../services.ts";
import { type CallLog, type CallLogEntry, redactEndpoint, scrub } from "./call-log.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";

/**
 * Every HTTP call an adapter makes to an ERP goes through `ErpHttp.call`:
 * - the outbound guard (`guardedFetch`: public addresses only unless ALLOW_PRIVATE_TARGETS; no
 *   redirects followed) and the connection's timeout, which also covers reading the body;
 * - the circuit breaker of the tenant's ERP: refused at once while open;
 * - retries for reads only, and only for failures that were fast (network errors, 502/503/504),
 *   within the timeout's budget: a write (an unlock, a ticket) is sent once, whatever happens;
 * - one log entry per attempt, tokens redacted and CPFs masked.
 *
 * HTTP 4xx answers come back to the adapter (ERPs put meaning in them: HubSoft's 401 means "get
 * a new token"); timeouts, transport errors, 5xx and answers that are not what was expected (an
 * HTML error page where JSON was due) are failures here.
 */

export interface ErpRequest {
  operation: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Appended to the connection's base URL. */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | number | undefined>;
  kind: "read" | "write";
  /** `json` (default): the body must parse as JSON. `bytes`: anything, kept raw (a PDF). */
  expect?: "json" | "bytes";
}

export interface ErpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON (`expect: "json"`), else null. */
  body: unknown;
  text: string;
  bytes: Uint8Array;
  /** The ERP answered, but with an error (HTTP 200 with `type: "error"`, say): logged as such. */
  fail<T = never>(code: ProblemCode, detail: string, extra?: Omit<Failure, "code" | "detail">): Result<T>;
  /** Re-labels this call's log entry (a "not found", a refusal) without failing. */
  mark(outcome: ErpCallOutcome, error?: string | null): void;
}

export interface ErpHttpOptions {
  baseUrl: string;
  erpName: string;
  timeoutMs: number;
  retries: number;
  /** Credential values cut out of anything logged. */
  secrets: string[];
  /** Extra pause before a retry, for tests; default 100 ms doubling. */
  backoffMs?: (attempt: number) => number;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function decode(bytes: Uint8Array, contentType: string | null): string {
  const charset = /charset=([\w-]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  const label = charset && charset !== "utf8" ? charset : "utf-8";
  try {
    return new TextDecoder(label).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return new TextDecoder().decode(bytes).replace(/^\uFEFF/, "");
  }
}

/** What an answer that is not JSON looks like, for the error: the HTML title or its first words. */
function describeBody(text: string, contentType: string | null): string {
  const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(text)?.[1]?.trim();
  const excerpt = title ?? text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 120);
  return `${contentType?.split(";")[0] ?? "no content type"}${excerpt ? `: "${excerpt}"` : ", empty body"}`;
}

/** The ERP's own words from an error body, when it gave any. */
function erpMessage(body: unknown, text: string): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    for (const k of ["message", "msg", "mensagem", "Mensagem", "error", "erro", "detail"]) {
      if (typeof b[k] === "string" && b[k]) return b[k] as string;
    }
  }
  return text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
}

export class ErpHttp {
  /** The domain operation under way: every call an adapter makes for it is logged under its name. */
  operation: string | null = null;

  constructor(
    private readonly s: Pick<Services, "config" | "fetch" | "clock">,
    private readonly opts: ErpHttpOptions,
    private readonly breaker: CircuitBreaker,
    private readonly log: CallLog,
  ) {}

  get secrets(): string[] {
    return this.opts.secrets;
  }

  url(path: string, query?: ErpRequest["query"]): string {
    const base = this.opts.baseUrl.replace(/\/+$/, "");
    const qs = query
      ? Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`
      ).join("&")
      : "";
    return `${base}${path}${qs ? `?${qs}` : ""}`;
  }

  /** Records something that was not an HTTP call (the sandbox's queries, a cache hit). */
  record(entry: Omit<CallLogEntry, "at" | "attempt"> & { at?: number }): void {
    this.log.add({
      ...entry,
      at: entry.at ?? this.s.clock.now().getTime(),
      attempt: 1,
      operation: this.operation ?? entry.operation,
    });
  }

  async call(req: ErpRequest): Promise<Result<ErpResponse>> {
    const url = this.url(req.path, req.query);
    const endpoint = redactEndpoint(
      `${req.path}${url.includes("?") ? url.slice(url.indexOf("?")) : ""}`,
      this.secrets,
    );
    const headers: Record<string, string> = { accept: "application/json", ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(
        Object.entries(req.form).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]),
      ).toString();
    }
    const name = this.opts.erpName;
    const timeoutMs = this.opts.timeoutMs;
    const budgetEnds = performance.now() + timeoutMs;
    const maxAttempts = req.kind === "read" ? 1 + this.opts.retries : 1;
    const backoff = this.opts.backoffMs ?? ((n: number) => 100 * 2 ** (n - 1) * (0.8 + Math.random() * 0.4));

    for (let attempt = 1;; attempt++) {
      const at = this.s.clock.now().getTime();
      const entry = (
        outcome: ErpCallOutcome,
        httpStatus: number | null,
        latencyMs: number,
        error: string | null,
      ) =>
        this.log.add({
          at,
          operation: this.operation ?? req.operation,
          method: req.method,
          endpoint,
          outcome,
          httpStatus,
          latencyMs,
          attempt,
          error: error === null ? null : scrub(error, this.secrets),
        });
      const admission = await this.breaker.admit(Math.ceil(timeoutMs / 1000) + 1);
      if (!admission.admitted) {
        entry("circuit_open", null, 0, `circuit open; retry in ${admission.retryAfterSeconds} s`);
        return fail("erp_unavailable", `${name} is failing, so calls to it are paused; retry shortly`, {
          headers: { "Retry-After": String(admission.retryAfterSeconds) },
          extensions: { retry_after_seconds: admission.retryAfterSeconds },
        });
      }
      const probe = admission.probe;
      const started = performance.now();
      const retryLeft = () => attempt < maxAttempts && performance.now() + backoff(attempt) < budgetEnds;

      let res: Response;
      let bytes: Uint8Array;
      try {
        res = await guardedFetch(this.s, url, {
          method: req.method,
          headers,
          body,
          timeoutMs: Math.max(1, Math.round(budgetEnds - performance.now())),
        });
        // The timeout's signal covers the body too: an ERP that sends headers and then stalls is a timeout.
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        const latency = performance.now() - started;
        if (err instanceof OutboundRefused) {
          entry("network", null, latency, `refused by the outbound guard: ${err.message}`);
          return fail("erp_error", `The ERP's address cannot be called: ${err.message}`, {
            extensions: { erp_message: null },
          });
        }
        const e = err as Error;
        if (e?.name === "TimeoutError" || e?.name === "AbortError") {
          entry("timeout", null, latency, `no answer within ${timeoutMs} ms`);
          await this.breaker.failure(probe);
          return fail("erp_timeout", `${name} did not answer within ${timeoutMs} ms`, {
            extensions: { timeout_ms: timeoutMs },
          });
        }
        entry("network", null, latency, e?.message ?? String(err));
        await this.breaker.failure(probe);
        if (!probe && retryLeft()) {
          await sleep(backoff(attempt));
          continue;
        }
        return fail(
          "erp_error",
          `Could not reach ${name}: ${scrub(e?.message ?? String(err), this.secrets)}`,
          {
            extensions: { erp_message: null },
          },
        );
      }
      const latency = performance.now() - started;
      const contentType = res.headers.get("content-type");
      const text = decode(bytes, contentType);
      let parsed: unknown = null;
      let parseFailed = false;
      if ((req.expect ?? "json") === "json") {
        try {
          parsed = text.trim() === "" ? null : JSON.parse(text);
          if (parsed === null) parseFailed = true;
        } catch {
          parseFailed = true;
        }
      }

      if (res.status >= 500) {
        const message = erpMessage(parsed, text);
        entry("erp_error", res.status, latency, message || `HTTP ${res.status}`);
        await this.breaker.failure(probe);
        if (!probe && RETRYABLE_STATUS.has(res.status) && retryLeft()) {
          await sleep(backoff(attempt));
          continue;
        }
        return fail(
          "erp_error",
          `${name} answered HTTP ${res.status}${message ? `: ${scrub(message, this.secrets)}` : ""}`,
          {
            extensions: {
              erp_status: res.status,
              erp_message: message ? scrub(message, this.secrets) : null,
            },
          },
        );
      }
      if (res.status >= 300 && res.status < 400) {
        entry("erp_error", res.status, latency, `redirect to ${res.headers.get("location") ?? "?"}`);
        return fail(
          "erp_error",
          `${name} answered with a redirect (HTTP ${res.status}); check the connection's URL (https, path)`,
          { extensions: { erp_status: res.status, erp_message: null } },
        );
      }
      if (parseFailed && res.status < 400) {
        const what = describeBody(text, contentType);
        entry("bad_response", res.status, latency, `not JSON: ${what}`);
        await this.breaker.failure(probe);
        return fail(
          "erp_error",
          `${name} answered something that is not JSON (HTTP ${res.status}, ${scrub(what, this.secrets)})`,
          {
            extensions: { erp_status: res.status, erp_message: null },
          },
        );
      }
      await this.breaker.success(probe);
      const logged = entry(
        res.status >= 400 ? "erp_error" : "ok",
        res.status,
        latency,
        res.status >= 400 ? erpMessage(parsed, text) : null,
      );
      const secrets = this.secrets;
      return ok({
        status: res.status,
        headers: res.headers,
        body: parsed,
        text,
        bytes,
        fail<T = never>(code: ProblemCode, detail: string, extra: Omit<Failure, "code" | "detail"> = {}) {
          logged.outcome = code === "not_found"
            ? "not_found"
            : code === "erp_refused"
            ? "refused"
            : "erp_error";
          logged.error = scrub(detail, secrets);
          return fail<T>(code, scrub(detail, secrets), extra);
        },
        mark(outcome: ErpCallOutcome, error: string | null = null) {
          logged.outcome = outcome;
          logged.error = error === null ? null : scrub(error, secrets);
        },
      });
    }
  }
}
