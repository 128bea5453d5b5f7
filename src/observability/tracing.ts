import { randomHex } from "../core/random.ts";
import { RingBuffer } from "./ring-buffer.ts";

/** W3C Trace Context (https://www.w3.org/TR/trace-context/). */
export interface TraceContext {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  sampled: boolean;
}

export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: "server" | "client" | "internal";
  start_time: string;
  duration_ms: number;
  status: "ok" | "error";
  attributes: Record<string, string | number | boolean>;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Continues the caller's trace when its header is valid, otherwise starts a new one, with
 * `newTraceId` (32 hex digits) when given: the request's own UUIDv7 serves, so a log line's
 * request id and its trace id are the same number.
 */
export function continueTrace(header: string | undefined | null, newTraceId?: string): TraceContext {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  // Version ff is forbidden and all-zero ids are invalid (spec §3.2.2.3/§3.2.2.4).
  if (m && m[1] !== "ff" && !/^0+$/.test(m[2]) && !/^0+$/.test(m[3])) {
    return {
      traceId: m[2],
      parentSpanId: m[3],
      spanId: randomHex(8),
      sampled: (parseInt(m[4], 16) & 1) === 1,
    };
  }
  return { traceId: newTraceId ?? randomHex(16), spanId: randomHex(8), sampled: true };
}

/**
 * A new trace for a request that brought none: its id is the request's UUIDv7 in hex (so a log
 * line's request id and its trace id are one number) and the span id its last 16 digits, random
 * bits already drawn: no second draw per request.
 */
export function newTrace(requestIdHex: string): TraceContext {
  return { traceId: requestIdHex, spanId: requestIdHex.slice(16), sampled: true };
}

export function childOf(parent: TraceContext): TraceContext {
  return {
    traceId: parent.traceId,
    parentSpanId: parent.spanId,
    spanId: randomHex(8),
    sampled: parent.sampled,
  };
}

export function formatTraceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.sampled ? "01" : "00"}`;
}

/**
 * A server span as recorded on every request: flat, the attributes and the start time are
 * assembled only when someone reads the traces.
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  method: string;
  route: string;
  status: number;
  requestId: string;
  tenantId: string | null;
  startMs: number;
  durationMs: number;
}

function spanOf(r: SpanRecord): Span {
  return {
    trace_id: r.traceId,
    span_id: r.spanId,
    parent_span_id: r.parentSpanId,
    name: `${r.method} ${r.route}`,
    kind: "server",
    start_time: new Date(r.startMs).toISOString(),
    duration_ms: r.durationMs,
    status: r.status >= 500 ? "error" : "ok",
    attributes: {
      "http.request.method": r.method,
      "http.route": r.route,
      "http.response.status_code": r.status,
      "request.id": r.requestId,
      ...(r.tenantId ? { "tenant.id": r.tenantId } : {}),
    },
  };
}

/** Recent spans, bounded in memory. */
export class SpanStore {
  readonly recent: RingBuffer<SpanRecord>;
  constructor(capacity = 500) {
    this.recent = new RingBuffer(capacity);
  }

  record(span: SpanRecord): void {
    this.recent.push(span);
  }

  query(
    filter: { traceId?: string; minDurationMs?: number; status?: "ok" | "error"; limit: number },
  ): Span[] {
    const out: Span[] = [];
    for (const r of this.recent.newest()) {
      const s = spanOf(r);
      if (filter.traceId && s.trace_id !== filter.traceId) continue;
      if (filter.minDurationMs !== undefined && s.duration_ms < filter.minDurationMs) continue;
      if (filter.status && s.status !== filter.status) continue;
      out.push(s);
      if (out.length >= filter.limit) break;
    }
    return out;
  }
}
