import { RingBuffer } from "./ring-buffer.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel | "silent", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

export interface LogLine {
  ts: string;
  level: LogLevel;
  service: string;
  msg: string;
  [field: string]: unknown;
}

export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `fields` (a service name, a request id) in addition. */
  child(fields: Record<string, unknown>): Logger;
}

/**
 * JSON-lines logger. Every line goes to the sink (stdout in the entries) when its level passes
 * the threshold, and into a bounded buffer that `/observability/logs` reads.
 */
export class LogHub {
  readonly recent: RingBuffer<LogLine>;

  constructor(
    readonly level: LogLevel | "silent",
    // The one place that writes to stdout: JSON lines for the platform's log collector.
    // deno-lint-ignore no-console
    readonly sink: LogSink = (line) => console.log(line),
    capacity = 1000,
  ) {
    this.recent = new RingBuffer(capacity);
  }

  logger(fields: Record<string, unknown> = {}): Logger {
    const write = (level: LogLevel, msg: string, extra?: Record<string, unknown>) => {
      // Below the threshold nothing is kept either: a debug flood must not evict the errors.
      if (rank[level] < rank[this.level === "silent" ? "debug" : this.level]) return;
      const line: LogLine = {
        ts: new Date().toISOString(),
        level,
        service: "api",
        msg,
        ...fields,
        ...(extra ? serializeErrors(extra) : {}),
      };
      this.recent.push(line);
      if (this.level !== "silent") this.sink(JSON.stringify(line));
    };
    return {
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      child: (more) => this.logger({ ...fields, ...more }),
    };
  }

  query(filter: { level?: LogLevel; service?: string; limit: number }): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.recent.newest()) {
      if (filter.level && rank[line.level] < rank[filter.level]) continue;
      if (filter.service && line.service !== filter.service) continue;
      out.push(line);
      if (out.length >= filter.limit) break;
    }
    return out;
  }
}

/** Errors do not survive JSON.stringify; keep their name, message and stack. */
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? describeError(v) : v;
  }
  return out;
}

export function describeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  if (err.cause instanceof Error) out.cause = describeError(err.cause);
  return out;
}
