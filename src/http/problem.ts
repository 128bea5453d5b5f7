/**
 * RFC 9457 problem details: the one error shape of the API (DESIGN §5).
 *
 * Domain code returns failures as values (`Failure`); the HTTP edge turns them into an `ApiError`,
 * which `onError` renders. The code → status table below is the only place that maps the two.
 */

export const problemStatus = {
  bad_request: 400,
  malformed_json: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  tenant_suspended: 403,
  account_locked: 423,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  window_closed: 409,
  /** A conversation cannot go from its status to the one asked; `allowed` lists where it can. */
  invalid_transition: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  /** A plain request to a WebSocket endpoint (`/ws`): it answers only the handshake. */
  upgrade_required: 426,
  /** The provider (Meta, Evolution) refused the message; `provider_code` says why. */
  provider_rejected: 422,
  quota_exceeded: 429,
  rate_limited: 429,
  /** The tenant switched the AI (or this feature of it) off in its AI settings. */
  ai_disabled: 403,
  /** The AI model provider is rate limiting us (its `Retry-After` is passed on). */
  ai_rate_limited: 429,
  /** QStash's own status for "do not retry this message". */
  not_retryable: 489,
  internal_error: 500,
  bad_gateway: 502,
  /** The model answered something that is not what the task's schema asks, twice. */
  ai_bad_output: 502,
  /** The model provider refused the call (a wrong API key, an unknown model, a bad request). */
  ai_provider_error: 502,
  service_unavailable: 503,
  /** The AI cannot do this here (offline translation, say); `setting` names what enables it. */
  ai_unavailable: 503,
  /** The model provider did not answer in time. */
  ai_timeout: 504,
  /** The tenant has not connected this ERP (`POST /erp/connect/{erp_type}` first). */
  erp_not_connected: 409,
  /** The ERP said no for a rule of its own (an unlock already used, a closed ticket); `reason` says which. */
  erp_refused: 409,
  /** The customer has several contracts and the call needs one; `contracts` lists them. */
  erp_contract_required: 409,
  /** The ERP has no call for this; the detail says what to do instead. */
  erp_unsupported: 501,
  /** The ERP failed or answered something unreadable; `erp_message` is what it said. */
  erp_error: 502,
  /** The ERP's circuit is open after repeated failures; retry after `Retry-After` seconds. */
  erp_unavailable: 503,
  /** The ERP did not answer within the connection's timeout. */
  erp_timeout: 504,
} as const;

export type ProblemCode = keyof typeof problemStatus;

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  423: "Locked",
  426: "Upgrade Required",
  429: "Too Many Requests",
  489: "Not Retryable",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function statusTitle(status: number): string {
  return titles[status] ?? "Error";
}

/** Where the code of a problem is explained; stable, so clients may switch on it. */
export const PROBLEM_TYPE_BASE = "https://pytake.dev/problems/";

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An expected failure, returned as a value by domain code. */
export interface Failure {
  code: ProblemCode;
  detail: string;
  errors?: FieldError[];
  /** Extra members of the problem (`limit` of a quota, `existing_id` of a conflict, …). */
  extensions?: Record<string, unknown>;
  /** Response headers the problem carries (`Retry-After` of a rate limit). */
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = problemStatus[code];
  }

  static from(failure: Failure): ApiError {
    return new ApiError(failure.code, failure.detail, {
      errors: failure.errors,
      extensions: failure.extensions,
      headers: failure.headers,
    });
  }

  body(requestId: string): ProblemBody {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: statusTitle(this.status),
      status: this.status,
      detail: this.detail,
      code: this.code,
      request_id: requestId,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
      ...this.options.extensions,
    };
  }
}

export const notFound = (what: string): ApiError => new ApiError("not_found", `${what} not found`);
