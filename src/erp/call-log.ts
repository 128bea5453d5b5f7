import { erpCallLogs, type ErpCallOutcome } from "../../db/schema/index.ts";
import { uuidv7 } from "../core/ids.ts";
import type { Services } from "../services.ts";
import { maskDocumentsIn } from "../core/br-documents.ts";
import type { ErpType } from "./model.ts";

/**
 * The call log of `GET /erp/{erp_type}/logs`: every ERP call, buffered while an operation runs
 * and handed over when it ends (to `background()` in a request, awaited in a job). Hand-overs
 * are coalesced per database for a few milliseconds and written in one insert: under load that
 * is one statement for many requests instead of one each (on PGlite's single connection the
 * per-request insert was most of a lookup's cost). The promise a caller gets resolves once its
 * rows are stored, so `waitUntil` keeps a Worker alive until then.
 * Nothing secret reaches it: query parameters that carry credentials are replaced, known secret
 * values are cut out wherever they appear, and CPFs are masked.
 */

export type CallLogRow = typeof erpCallLogs.$inferInsert;

export interface CallLogEntry {
  /** Epoch ms when the call started. */
  at: number;
  operation: string;
  method: string;
  endpoint: string;
  outcome: ErpCallOutcome;
  httpStatus: number | null;
  latencyMs: number;
  attempt: number;
  error: string | null;
  cacheMiss?: boolean;
}

/** Query/body parameter names that carry credentials in some ERP's protocol. */
const SECRET_PARAMS =
  /^(token|app|password|senha|contra[-_]?senha|client_secret|client_id|access_token|apikey|api_key|username)$/i;

export function redactEndpoint(pathAndQuery: string, secrets: readonly string[]): string {
  const [path, query] = pathAndQuery.split("?", 2);
  let out = path;
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    const kept: string[] = [];
    for (const [k, v] of params) {
      kept.push(`${encodeURIComponent(k)}=${SECRET_PARAMS.test(k) ? "[redacted]" : encodeURIComponent(v)}`);
    }
    out += kept.length ? `?${kept.join("&")}` : "";
  }
  return scrub(out, secrets);
}

/** Cuts known secret values out of a text and masks the CPFs in it; at most 500 characters. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) {
      out = out.split(secret).join("[redacted]");
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join("[redacted]");
    }
  }
  return maskDocumentsIn(out).slice(0, 500);
}

export class CallLog {
  readonly entries: CallLogEntry[] = [];

  constructor(
    private readonly s: Pick<Services, "database" | "clock" | "obs">,
    private readonly scope: { tenantId: string; erpType: ErpType; requestId?: string },
  ) {}

  add(entry: CallLogEntry): CallLogEntry {
    this.entries.push(entry);
    return entry;
  }

  /** Writes what was buffered since the last flush (with whatever else is waiting). */
  async flush(): Promise<void> {
    const pending = this.entries.splice(0);
    if (pending.length === 0) return;
    const rows: CallLogRow[] = pending.map((e) => ({
      id: uuidv7(e.at),
      tenantId: this.scope.tenantId,
      erpType: this.scope.erpType,
      operation: e.operation,
      method: e.method,
      endpoint: e.endpoint.slice(0, 1000),
      outcome: e.outcome,
      httpStatus: e.httpStatus,
      latencyMs: Math.max(0, Math.round(e.latencyMs)),
      attempt: e.attempt,
      cacheMiss: e.cacheMiss ?? false,
      error: e.error?.slice(0, 500) ?? null,
      requestId: this.scope.requestId ?? null,
      createdAt: new Date(e.at),
    }));
    await writerFor(this.s.database).write(rows);
  }
}

/** How long hand-overs wait for company before their insert; and the most rows in one insert. */
const COALESCE_MS = 25;
const MAX_ROWS = 500;

class LogWriter {
  #rows: CallLogRow[] = [];
  #waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly database: Services["database"]) {}

  write(rows: CallLogRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#rows.push(...rows);
      this.#waiting.push({ resolve, reject });
      if (this.#rows.length >= MAX_ROWS) this.#drain();
      else this.#timer ??= setTimeout(() => this.#drain(), COALESCE_MS);
    });
  }

  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#rows.splice(0);
    const waiting = this.#waiting.splice(0);
    if (rows.length === 0) return;
    this.database.db.insert(erpCallLogs).values(rows).then(
      () => waiting.forEach((w) => w.resolve()),
      (err) => waiting.forEach((w) => w.reject(err)),
    );
  }
}

const writers = new WeakMap<Services["database"], LogWriter>();

function writerFor(database: Services["database"]): LogWriter {
  let w = writers.get(database);
  if (!w) writers.set(database, w = new LogWriter(database));
  return w;
}
