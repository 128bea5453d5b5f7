/**
 * What must never reach a log line (or an error text we store or send): SQL parameters, secrets,
 * password hashes and tokens are removed; personal data (emails, phones, CPF/CNPJ) is masked so a
 * line still says whose problem it was without saying who (LGPD).
 *
 * The database drivers are the usual leak: drizzle's `DrizzleQueryError` puts every bound value
 * in its message ("Failed query: …\nparams: a@b.co,pbkdf2-sha256$…"), so the stack carries them
 * too; PGlite and postgres.js hang `params`/`parameters` on their errors and PostgreSQL's own
 * messages quote values (`invalid input syntax for type uuid: "…"`). Errors are therefore always
 * logged through `describeError`, never as they are.
 */

import { storableText } from "../core/storable-text.ts";

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
/** E.164 and Brazilian formats: +5511987654321, (11) 98765-4321, bare 10–13 digits (CPF is 11). */
const PHONE_E164 = /\+(\d{2})\d{6,11}(\d{4})\b/g;
const PHONE_BR = /\(\d{2}\)\s?\d{4,5}-?(\d{4})\b/g;
const CPF = /\b\d{3}\.\d{3}\.\d{3}-(\d{2})\b/g;
const CNPJ = /\b\d{2}\.\d{3}\.\d{3}\/\d{4}-(\d{2})\b/g;
const DIGITS = /(?<![\w.-])\d{6,9}(\d{4})(?![\w-])/g;
const JWT = /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g;
const BEARER = /\b(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi;
const PASSWORD_HASH = /\bpbkdf2-[\w-]+\$\d+\$[\w-]+\$[\w-]+/g;
/** Our own opaque credentials: refresh tokens, API keys, QStash/Meta-style secrets in URLs. */
const OWN_TOKEN = /\b(rt|pk|sk)_[\w-]{16,}/g;
const URL_SECRET =
  /([?&](?:token|access_token|refresh_token|key|apikey|api_key|secret|signature)=)[^&\s"']+/gi;
/** Bound values of a failed statement, up to the stack's first frame (a value may span lines). */
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |$)/g;

/** `s` with secrets removed and personal data masked. */
export function redactText(s: string): string {
  return s
    .replace(QUERY_PARAMS, "\nparams: [redacted]")
    .replace(PASSWORD_HASH, "[password hash]")
    .replace(JWT, "[jwt]")
    .replace(BEARER, "$1 [redacted]")
    .replace(OWN_TOKEN, "$1_[redacted]")
    .replace(URL_SECRET, "$1[redacted]")
    .replace(EMAIL, "$1***@$2")
    .replace(CNPJ, "**.***.***/****-$1")
    .replace(CPF, "***.***.***-$1")
    .replace(PHONE_E164, "+$1*******$2")
    .replace(PHONE_BR, "(**) *****-$1")
    .replace(DIGITS, "*******$1");
}

/** Field names whose values are secrets: never logged, whatever they hold. */
const SECRET_KEYS = new Set([
  "password",
  "password_hash",
  "passwordhash",
  "new_password",
  "current_password",
  "token",
  "access_token",
  "refresh_token",
  "secret",
  "app_secret",
  "api_key",
  "apikey",
  "authorization",
  "cookie",
  "params",
  "parameters",
  "credentials",
]);

/**
 * Fields our own code logs that hold no personal data and no secret: left as they are, which
 * keeps the one log line of every request cheap.
 */
const PLAIN_KEYS = new Set([
  "service",
  "request_id",
  "trace_id",
  "method",
  "route",
  "path",
  "status",
  "latency_ms",
  "ip",
  "tenant_id",
  "user_id",
  "api_key_id",
  "mail_id",
  "kind",
  "event",
  "event_id",
  "webhook_id",
  "job",
  "job_id",
  "attempt",
  "ms",
  "retry_in_ms",
  "permanent",
  "final",
  "url",
  "docs",
  "database",
  "kv",
  "jobs",
  "env",
]);

/** A log line's fields, safe to write: errors described, secrets dropped, the rest redacted. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  let clean = true;
  for (const k in fields) {
    if (!PLAIN_KEYS.has(k) || typeof fields[k] === "object") {
      clean = false;
      break;
    }
  }
  if (clean) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = PLAIN_KEYS.has(k) && typeof v !== "object" ? v : redactValue(k, v, 0);
  }
  return out;
}

function redactValue(key: string, v: unknown, depth: number): unknown {
  if (SECRET_KEYS.has(key.toLowerCase())) return v === null || v === undefined ? v : "[redacted]";
  if (typeof v === "string") return redactText(v);
  if (v instanceof Error) return describeError(v);
  if (depth > 4 || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => redactValue("", x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = redactValue(k, x, depth + 1);
  return out;
}

/**
 * An error's message without bound values: of drizzle's "Failed query: …\nparams: …" only the
 * SQL (drivers' own errors also carry `query`/`params`, but their message is the database's).
 */
function safeMessage(err: Error): string {
  const q = err as Error & { query?: unknown; params?: unknown };
  if (typeof q.query === "string" && Array.isArray(q.params) && err.message.startsWith("Failed query: ")) {
    return redactText(`Failed query: ${q.query}`);
  }
  return redactText(err.message);
}

/** An error as a log field: name, message, SQLSTATE, stack and causes, with nothing to hide. */
export function describeError(err: Error, depth = 0): Record<string, unknown> {
  const message = safeMessage(err);
  const out: Record<string, unknown> = { name: err.name, message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) out.sqlstate = code;
  if (err.stack) {
    // The stack repeats the message (with the values) on its first line.
    const stack = err.stack.includes(err.message) ? err.stack.replace(err.message, message) : err.stack;
    out.stack = redactText(stack);
  }
  if (err.cause instanceof Error && depth < 5) out.cause = describeError(err.cause, depth + 1);
  else if (err.cause !== undefined && depth < 5) out.cause = redactValue("cause", err.cause, 1);
  return out;
}

/**
 * One line for an error column or an error answer (a job's `last_error`, a webhook event's
 * `error`, QStash's non-retryable reason): the message and its causes, redacted.
 */
export function errorSummary(err: unknown, max = 1000): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    parts.push(e instanceof Error ? safeMessage(e) : redactText(String(e)));
    e = e instanceof Error ? e.cause : undefined;
  }
  // Cut on a code point, so a surrogate pair is never split in two; stored, so storable.
  return storableText(Array.from(parts.join(" (caused by) ")).slice(0, max).join(""));
}
