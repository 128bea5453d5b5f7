import { redactFields } from "./redact.ts";
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
  readonly #threshold: number;

  constructor(
    readonly level: LogLevel | "silent",
    // The one place that writes to stdout: JSON lines for the platform's log collector.
    // deno-lint-ignore no-console
    readonly sink: LogSink = (line) => console.log(line),
    capacity = 1000,
  ) {
    this.recent = new RingBuffer(capacity);
    this.#threshold = rank[level === "silent" ? "debug" : level];
  }

  logger(fields: Record<string, unknown> = {}): Logger {
    return new HubLogger(this, fields);
  }

  /** Below the threshold nothing is kept either: a debug flood must not evict the errors. */
  write(
    level: LogLevel,
    msg: string,
    fields: Record<string, unknown>,
    extra?: Record<string, unknown>,
  ): void {
    if (rank[level] < this.#threshold) return;
    const line: LogLine = {
      ts: new Date().toISOString(),
      level,
      service: "api",
      msg,
      ...fields,
      ...(extra ? serializeErrors(extra) : undefined),
    };
    this.recent.push(line);
    if (this.level !== "silent") this.sink(JSON.stringify(line));
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

/** A class, not closures: one is made per request, so it must cost next to nothing. */
class HubLogger implements Logger {
  constructor(private readonly hub: LogHub, private readonly fields: Record<string, unknown>) {}
  debug(msg: string, f?: Record<string, unknown>) {
    this.hub.write("debug", msg, this.fields, f);
  }
  info(msg: string, f?: Record<string, unknown>) {
    this.hub.write("info", msg, this.fields, f);
  }
  warn(msg: string, f?: Record<string, unknown>) {
    this.hub.write("warn", msg, this.fields, f);
  }
  error(msg: string, f?: Record<string, unknown>) {
    this.hub.write("error", msg, this.fields, f);
  }
  child(more: Record<string, unknown>): Logger {
    return new HubLogger(this.hub, { ...this.fields, ...more });
  }
}

/**
 * Errors do not survive JSON.stringify, and their messages carry SQL parameters; secrets and
 * personal data must not be written either (src/observability/redact.ts).
 */
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  return redactFields(fields);
}
