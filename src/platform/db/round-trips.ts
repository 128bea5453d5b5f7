/**
 * The round-trip budget (DESIGN §4, "count round trips").
 *
 * On the edge every SQL statement that is not batched is one HTTP round trip from the edge
 * location to Neon's region: 5 ms next door, 50–150 ms across an ocean. The number of sequential
 * round trips is the latency a user feels, far more than CPU, so each kind of request has a
 * budget, counted through the neon-http driver and held by tests (tests/platform/round_trips_test.ts,
 * with the helper in tests/support/round-trips.ts) and measured with a simulated 40 ms network
 * in the `edge latency` benchmark (bench/edge-latency.bench.ts, docs/benchmarks.md).
 *
 * How to stay inside it:
 * - Independent statements go out together: `database.atomic` (one `batch` request on neon-http,
 *   one transaction on PGlite and PostgreSQL), never one awaited after another. A read that needs
 *   a page and its total is one batch, or one statement with `count(*) over ()`.
 * - Dependent statements merge in SQL: CTEs, `UPDATE … RETURNING`, `INSERT … ON CONFLICT …
 *   RETURNING`, `INSERT … SELECT … WHERE` for a conditional write. Ids are made in the app
 *   (UUIDv7), so a batch can refer to rows it has not written yet.
 * - What a request needs of the caller (user, role, tenant status, plan, API key) comes from the
 *   principal cache in KV (src/auth/principal-state.ts): 0 trips when warm, 1 statement when cold.
 *   Every write that changes it drops the cache, so revocation still takes effect on the next
 *   request. KV reads are not database trips (but they are HTTP on Upstash: batch them with mget).
 * - Whatever can wait for the answer (a `last_used_at` touch, webhook processing, events to
 *   outgoing webhooks) goes to `waitUntil` and is counted separately (`afterAnswer`).
 *
 * The numbers below are maxima. A route that needs more is a design problem to solve, not a
 * budget to raise.
 */
export interface Budget {
  /** Sequential round trips between receiving the request and answering it. */
  beforeAnswer: number;
  /** Round trips of the work the request leaves to `waitUntil` (processing after a 200). */
  afterAnswer?: number;
}

export const ROUND_TRIP_BUDGET = {
  /** Resolving the caller: 1 on a cold principal cache, 0 on a warm one. */
  authenticationCold: { beforeAnswer: 1 },
  authenticationWarm: { beforeAnswer: 0 },
  /** Any read or list after authentication: page and total in one statement or one batch. */
  read: { beforeAnswer: 1 },
  /**
   * A send: one batch before the provider call (checks, quota, the pending row), one after; then,
   * after the answer, the events fanned out to webhook endpoints and (sandbox) its receipts queued.
   * The tenant's numbers come from a 30-second cache: a cold one costs one read more.
   */
  send: { beforeAnswer: 2, afterAnswer: 2 },
  /** Meta/Evolution webhook: the raw event stored, then the 200; processing follows. */
  webhookAck: { beforeAnswer: 1 },
  /**
   * An inbound message (or status) processed after the ACK: what it touches read in one batch,
   * everything written in one (the event marked processed with it), the events fanned out.
   */
  inboundProcessed: { beforeAnswer: 1, afterAnswer: 3 },
  /** Dashboard overview and KPIs. */
  dashboard: { beforeAnswer: 2 },
  /** Password sign-in: the user read before the answer; the login recorded after it. */
  login: { beforeAnswer: 1, afterAnswer: 1 },
} as const satisfies Record<string, Budget>;
