import { type Logger, LogHub, type LogSink } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { SpanStore } from "./tracing.ts";

/** Logs, metrics and traces of one process (one isolate on Workers). */
export interface Observability {
  logs: LogHub;
  log: Logger;
  metrics: Metrics;
  spans: SpanStore;
}

export function createObservability(
  opts: { level: LogHub["level"]; sink?: LogSink; logCapacity?: number; spanCapacity?: number },
): Observability {
  const logs = new LogHub(opts.level, opts.sink, opts.logCapacity);
  return { logs, log: logs.logger(), metrics: new Metrics(), spans: new SpanStore(opts.spanCapacity) };
}
