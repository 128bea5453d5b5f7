/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint (`POST /sql`), the protocol that
 * `neon()` from @neondatabase/serverless speaks when `neonConfig.fetchEndpoint` points here.
 * It follows Neon's proxy (proxy/src/serverless/sql_over_http.rs) so a test passing against it
 * sends and receives the bytes the real service would:
 *
 * - request: `Neon-Connection-String` (checked like Neon: postgres(ql) scheme, user, database,
 *   host name, password or bearer token), body `{query, params?, arrayMode?}` or
 *   `{queries: [...]}`; batch options in `Neon-Batch-Isolation-Level` / `-Read-Only` /
 *   `-Deferrable`; `Neon-Array-Mode` is the default row shape.
 * - success: 200 `{rowAsArray, fields, rows, command, rowCount}` with every value as Postgres
 *   TEXT, or `{results: [...]}` for a batch, which runs in one transaction.
 * - failure: 400 `{message, code, severity, detail, ..., routine}` for SQL and request errors
 *   (the client copies those fields onto its NeonDbError); 500 for a backend that broke.
 *
 * Not modelled: `Neon-Raw-Text-Output` other than "true" (answered 501, since the real service
 * would then convert values to JSON types, which nothing here implements), response size
 * limits, query cancellation, connection pooling headers, websockets.
 */
import {
  ISOLATION_LEVELS,
  type RawQuery,
  type RawResult,
  SQL_ERROR_FIELDS,
  type SqlBackend,
  SqlError,
} from "./sql-backend.ts";

export interface NeonHttpStandInOptions {
  /** Port on 127.0.0.1; default any free one. Pass the old port to restart after `close()`. */
  port?: number;
  /**
   * When set, the endpoint authenticates with JWTs like Neon's Authorize feature: requests must
   * carry `Authorization: Bearer <token>` (the client's `authToken`). When unset, it is a
   * password endpoint: the connection string must hold a password and `Authorization` is refused.
   */
  token?: string;
  /**
   * Answers every request this many milliseconds late: the network between an edge location and
   * the database region, for the edge-latency benchmark. Concurrent requests wait side by side.
   */
  delayMs?: number;
}

export interface RecordedRequest {
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /**
   * Milliseconds the backend spent on it (parsing and running the SQL), without `delayMs`: what
   * the database itself costs, apart from the network.
   */
  backendMs?: number;
}

export interface NeonHttpStandIn {
  /** The value for `neonConfig.fetchEndpoint`: `http://127.0.0.1:<port>/sql`. */
  url: string;
  port: number;
  /** Every request received, in order, including refused ones. */
  requests: RecordedRequest[];
  /** Stops listening and waits for in-flight requests; the port is free again afterwards. */
  close(): Promise<void>;
}

interface QueryBody {
  query: string;
  params: (string | null)[];
  arrayMode?: boolean;
}

/** A refusal before any SQL ran, answered with Neon's error body. */
class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function startNeonHttpStandIn(
  backend: SqlBackend,
  opts: NeonHttpStandInOptions = {},
): Promise<NeonHttpStandIn> {
  const requests: RecordedRequest[] = [];

  async function handle(req: Request): Promise<Response> {
    const text = await req.text();
    const headers = Object.fromEntries(req.headers);
    const recorded: RecordedRequest = { body: parseJsonOr(text), headers };
    requests.push(recorded);
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const started = performance.now();
    try {
      return await answer(req, text);
    } finally {
      recorded.backendMs = performance.now() - started;
    }
  }

  async function answer(req: Request, text: string): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/sql" && req.method === "OPTIONS") return corsPreflight();
    // Neon answers anything but POST /sql this way, with a bare JSON string as the body.
    if (path !== "/sql" || req.method !== "POST") return json(400, "query is not supported");

    try {
      checkConnectionString(req.headers, opts.token);
      const batchOpts = batchOptions(req.headers);
      if (req.headers.get("neon-raw-text-output") !== "true") {
        return json(501, { message: "stand-in only models Neon-Raw-Text-Output: true" });
      }
      const defaultArrayMode = req.headers.get("neon-array-mode") === "true";
      const payload = parsePayload(text);

      if ("queries" in payload) {
        const raw = await backend.transaction(payload.queries, batchOpts);
        const results = raw.map((r, i) => toNeonResult(r, payload.queries[i].arrayMode ?? defaultArrayMode));
        return json(200, { results }, batchHeaders(req.headers));
      }
      const raw = await backend.query(payload.query, payload.params);
      return json(200, toNeonResult(raw, payload.arrayMode ?? defaultArrayMode));
    } catch (err) {
      if (err instanceof RequestError) return json(err.status, errorBody(err.message));
      if (err instanceof SqlError) return json(400, errorBody(err.message, err));
      // The database broke (not a statement's fault): Neon reports these as 500.
      return json(500, errorBody(err instanceof Error ? err.message : String(err)));
    }
  }

  return new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: opts.port ?? 0,
        onListen({ port }) {
          resolve({
            url: `http://127.0.0.1:${port}/sql`,
            port,
            requests,
            close: () => server.shutdown(),
          });
        },
      },
      handle,
    );
  });
}

/** Neon's `get_conn_info`: the same checks, in the same order, with the same messages. */
function checkConnectionString(headers: Headers, token: string | undefined): void {
  const connectionString = headers.get("neon-connection-string");
  if (connectionString === null) throw new RequestError(400, "invalid header: neon-connection-string");
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch (err) {
    throw new RequestError(400, `invalid connection string: ${(err as Error).message}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new RequestError(400, "incorrect scheme");
  }
  if (url.pathname.split("/")[1] === "") throw new RequestError(400, "missing database name");
  if (url.username === "") throw new RequestError(400, "missing username");

  const authorization = headers.get("authorization");
  if (token === undefined) {
    if (authorization !== null || url.password === "") {
      throw new RequestError(400, "missing authentication credentials: required password");
    }
  } else {
    if (authorization === null || !authorization.startsWith("Bearer ")) {
      throw new RequestError(
        400,
        "missing authentication credentials: required authorization bearer token in JWT format",
      );
    }
    if (authorization.slice("Bearer ".length) !== token) {
      throw new RequestError(400, "authentication failed: invalid bearer token");
    }
  }
  // Neon derives the endpoint from the host name's first label; an IP address has none.
  const host = url.hostname;
  if (host === "" || /^[\d.]+$/.test(host) || host.startsWith("[")) {
    throw new RequestError(400, "missing hostname");
  }
}

function batchOptions(headers: Headers) {
  const isolationLevel = headers.get("neon-batch-isolation-level") ?? undefined;
  if (isolationLevel !== undefined && !(isolationLevel in ISOLATION_LEVELS)) {
    throw new RequestError(400, "invalid isolation level");
  }
  return {
    isolationLevel,
    // Neon takes exactly "true" as true and anything else as false.
    readOnly: headers.get("neon-batch-read-only") === "true",
    deferrable: headers.get("neon-batch-deferrable") === "true",
  };
}

/** Neon echoes the batch options it applied. */
function batchHeaders(headers: Headers): Record<string, string> {
  const echoed: Record<string, string> = {};
  if (headers.get("neon-batch-read-only") === "true") echoed["Neon-Batch-Read-Only"] = "true";
  if (headers.get("neon-batch-deferrable") === "true") echoed["Neon-Batch-Deferrable"] = "true";
  const level = headers.get("neon-batch-isolation-level");
  if (level !== null) echoed["Neon-Batch-Isolation-Level"] = level;
  return echoed;
}

/** `{query, params?, arrayMode?}` or `{queries: [...]}`, as Neon's untagged serde enum reads it. */
function parsePayload(text: string): QueryBody | { queries: (RawQuery & { arrayMode?: boolean })[] } {
  const invalid = (why: string) => new RequestError(400, `could not parse the HTTP request body: ${why}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const asQuery = (v: unknown): QueryBody | undefined => {
    if (!isObject(v) || typeof v.query !== "string") return undefined;
    if (v.params !== undefined && !Array.isArray(v.params)) return undefined;
    if (v.arrayMode !== undefined && typeof v.arrayMode !== "boolean") return undefined;
    return {
      query: v.query,
      params: ((v.params ?? []) as unknown[]).map(jsonToPgText),
      arrayMode: v.arrayMode,
    };
  };
  const single = asQuery(body);
  if (single) return single;
  if (isObject(body) && Array.isArray(body.queries)) {
    const queries = body.queries.map(asQuery);
    if (queries.every((q) => q !== undefined)) return { queries: queries as QueryBody[] };
  }
  throw invalid("data did not match any variant of untagged enum Payload");
}

/**
 * Neon's `json_to_pg_text`: strings pass as they are, null stays NULL, numbers, booleans and
 * objects become their JSON text, arrays become Postgres array literals. The real client already
 * sends strings; this keeps hand-written requests working the way they would against Neon.
 */
function jsonToPgText(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return pgArray(value);
  return JSON.stringify(value);
}

function pgArray(values: unknown[]): string {
  const items = values.map((v) => {
    if (v === null) return "NULL";
    if (Array.isArray(v)) return pgArray(v);
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/** A result as Neon writes it, keys in Neon's order; object rows when array mode is off. */
function toNeonResult(r: RawResult, arrayMode: boolean) {
  const rows = arrayMode
    ? r.rows
    : r.rows.map((row) => Object.fromEntries(row.map((v, i) => [r.fields[i].name, v])));
  return { rowAsArray: arrayMode, fields: r.fields, rows, command: r.command, rowCount: r.rowCount };
}

/**
 * Neon's error body: every key present, `code` and `severity` empty strings and the rest null
 * when the error did not come from Postgres.
 */
function errorBody(message: string, err?: SqlError): Record<string, string | null> {
  const body: Record<string, string | null> = { message };
  for (const key of SQL_ERROR_FIELDS) {
    body[key] = err?.[key] ?? (key === "code" || key === "severity" ? "" : null);
  }
  return body;
}

function corsPreflight(): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "Allow": "OPTIONS, POST",
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Headers":
        "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level",
      "Access-Control-Max-Age": "86400",
    },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": "*",
      "Neon-Request-Id": crypto.randomUUID(),
      ...headers,
    },
  });
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
