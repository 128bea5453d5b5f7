import { type SQL, sql } from "drizzle-orm";
import { erpCallLogs, type ErpCallOutcome, erpConnections } from "../../db/schema/index.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import type { Services } from "../services.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { circuitScope } from "./erp-service.ts";
import { type ErpType, erpTypes } from "./model.ts";

/** The call log and its figures: one statement each (page and total together). */

export interface LogFilters {
  operation?: string;
  outcome?: ErpCallOutcome[];
  errors_only?: boolean;
  from?: Date;
  to?: Date;
  request_id?: string;
}

const FAILURES = sql`('erp_error', 'bad_response', 'network', 'timeout', 'circuit_open')`;

export async function listLogs(s: Services, tenantId: string, type: ErpType, q: PageParams & LogFilters) {
  const where: SQL[] = [sql`tenant_id = ${tenantId}`, sql`erp_type = ${type}`];
  if (q.operation) where.push(sql`operation = ${q.operation}`);
  if (q.outcome?.length) where.push(sql`outcome in (${sql.join(q.outcome.map((o) => sql`${o}`), sql`, `)})`);
  if (q.errors_only) where.push(sql`outcome in ${FAILURES}`);
  if (q.from) where.push(sql`created_at >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) where.push(sql`created_at < ${q.to.toISOString()}::timestamptz`);
  if (q.request_id) where.push(sql`request_id = ${q.request_id}`);
  const [row] = await s.database.rows<{ total: number; rows: Record<string, unknown>[] | null }>(sql`
    with f as (select * from ${erpCallLogs} where ${sql.join(where, sql` and `)})
    select (select count(*) from f)::int as total,
      (select json_agg(x) from (
        select id, operation, method, endpoint, outcome, http_status, latency_ms, attempt, error, request_id, created_at
        from f order by created_at desc, id desc limit ${q.limit} offset ${offsetOf(q)}) x) as rows`);
  const data = (row.rows ?? []).map((r) => ({
    id: r.id as string,
    operation: r.operation as string,
    method: r.method as string,
    endpoint: r.endpoint as string,
    outcome: r.outcome as ErpCallOutcome,
    http_status: r.http_status as number | null,
    latency_ms: r.latency_ms as number,
    attempt: r.attempt as number,
    error: r.error as string | null,
    request_id: r.request_id as string | null,
    created_at: new Date(r.created_at as string).toISOString(),
  }));
  return { data, total: row.total };
}

/**
 * Per ERP over a window: calls made (cache hits and refusals of an open circuit not counted as
 * calls), failures, timeouts, p50/p95 latency of the calls, the cache hit rate of the cacheable
 * lookups, and the circuit's state now. ERPs connected or called in the window are listed.
 */
export async function erpMetrics(s: Services, tenantId: string, since: Date, until: Date) {
  const rows = await s.database.rows<{
    erp_type: ErpType;
    connected: boolean;
    calls: number;
    errors: number;
    timeouts: number;
    circuit_refusals: number;
    cache_hits: number;
    cache_misses: number;
    p50: number | null;
    p95: number | null;
    last_call_at: string | null;
    last_error: string | null;
  }>(sql`
    with w as (
      select * from ${erpCallLogs}
      where tenant_id = ${tenantId} and created_at >= ${since.toISOString()}::timestamptz
        and created_at < ${until.toISOString()}::timestamptz
    ),
    agg as (
      select erp_type,
        count(*) filter (where outcome not in ('cached', 'circuit_open'))::int as calls,
        count(*) filter (where outcome in ('erp_error', 'bad_response', 'network', 'timeout'))::int as errors,
        count(*) filter (where outcome = 'timeout')::int as timeouts,
        count(*) filter (where outcome = 'circuit_open')::int as circuit_refusals,
        count(*) filter (where outcome = 'cached')::int as cache_hits,
        count(*) filter (where cache_miss)::int as cache_misses,
        percentile_cont(0.5) within group (order by latency_ms) filter (where outcome not in ('cached', 'circuit_open')) as p50,
        percentile_cont(0.95) within group (order by latency_ms) filter (where outcome not in ('cached', 'circuit_open')) as p95,
        max(created_at) as last_call_at,
        (array_agg(error order by created_at desc) filter (where outcome in ${FAILURES}))[1] as last_error
      from w group by erp_type
    ),
    conn as (
      select erp_type, status <> 'disconnected' as connected from ${erpConnections} where tenant_id = ${tenantId}
    )
    select coalesce(agg.erp_type, conn.erp_type) as erp_type, coalesce(conn.connected, false) as connected,
      coalesce(calls, 0) as calls, coalesce(errors, 0) as errors, coalesce(timeouts, 0) as timeouts,
      coalesce(circuit_refusals, 0) as circuit_refusals, coalesce(cache_hits, 0) as cache_hits,
      coalesce(cache_misses, 0) as cache_misses, p50, p95, last_call_at, last_error
    from agg full join conn on conn.erp_type = agg.erp_type
    order by 1`);
  rows.sort((a, b) => erpTypes.indexOf(a.erp_type) - erpTypes.indexOf(b.erp_type));
  const states = rows.length
    ? await s.kv.mget(rows.flatMap((r) => CircuitBreaker.keysFor(circuitScope(tenantId, r.erp_type))))
    : [];
  return rows.map((r, n) => {
    const i = n * 2;
    const lookups = r.cache_hits + r.cache_misses;
    return {
      erp_type: r.erp_type,
      connected: r.connected,
      calls: r.calls,
      errors: r.errors,
      timeouts: r.timeouts,
      error_rate: r.calls ? round(r.errors / r.calls) : 0,
      latency_ms: {
        p50: r.p50 === null ? null : Math.round(Number(r.p50)),
        p95: r.p95 === null ? null : Math.round(Number(r.p95)),
      },
      cache: { hits: r.cache_hits, lookups, hit_rate: lookups ? round(r.cache_hits / lookups) : null },
      circuit: {
        state: CircuitBreaker.stateOf(states[i] ?? null, states[i + 1] ?? null),
        refused_calls: r.circuit_refusals,
      },
      last_call_at: r.last_call_at ? new Date(r.last_call_at).toISOString() : null,
      last_error: r.last_error,
    };
  });
}

const round = (n: number) => Math.round(n * 1000) / 1000;
