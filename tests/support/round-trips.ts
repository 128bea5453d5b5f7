/**
 * Counts the database round trips of a request the way the edge pays for them: the whole app runs
 * on the neon-http driver (`openNeonHttp`) against the Neon stand-in with PGlite behind it, and
 * every HTTP request the stand-in receives is one round trip (a batch is one request, so one
 * trip). The budgets live in src/platform/db/round-trips.ts; tests/platform/round_trips_test.ts
 * holds the routes to them, and any later route can do the same in a few lines:
 *
 * ```ts
 * const rt = await createRoundTripContext();
 * const owner = await registerTenant(rt);            // any harness helper works: rt is a TestContext
 * const m = await rt.measure("/api/v1/things", { token: owner.token });
 * assertWithinBudget(m, ROUND_TRIP_BUDGET.read, "GET /api/v1/things");
 * ```
 *
 * A request is measured twice over: `before`, the trips between sending it and holding the
 * answer, and `after`, the trips of the work it left to `waitUntil` (webhook processing, say),
 * waited for with `settle()`. Work the request started in the background that happens to reach
 * the database before the answer is counted in `before`: the count can only err on the high side.
 */
import assert from "node:assert/strict";
import { STALE_SECONDS } from "../../src/auth/principal-state.ts";
import { openNeonHttp } from "../../src/platform/db/neon-http.ts";
import type { Budget } from "../../src/platform/db/round-trips.ts";
import { createTestContext, freshPglite, type TestContext, type TestOptions } from "./harness.ts";
import { type NeonHttpStandIn, startNeonHttpStandIn } from "./neon-http-standin.ts";
import { pgliteBackend } from "./sql-backend.ts";

/** One HTTP request to Neon: one statement, or a batch of them. */
export interface Trip {
  statements: string[];
}

export interface Measured {
  res: Response;
  /** Round trips before the answer. */
  before: Trip[];
  /** Round trips of the work the request handed to `waitUntil`, after the answer. */
  after: Trip[];
}

export interface RoundTripContext extends TestContext {
  neon: NeonHttpStandIn;
  /** The round trips of any work (a request, a job, a sweep) and what it returned. */
  count<T>(work: () => Promise<T>): Promise<{ value: T; trips: Trip[] }>;
  /** `request`, counted: the trips before the answer and those of its background work. */
  measure(path: string, init?: Parameters<TestContext["request"]>[1]): Promise<Measured>;
  /**
   * Warms the principal cache for `token` (past the few seconds after a change in which it is
   * not refilled, see src/auth/principal-state.ts), so a measurement counts the route alone.
   */
  warm(token: string): Promise<void>;
}

/** A fake Neon URL: the driver needs one that looks real; the stand-in checks it as Neon would. */
const NEON_URL = "postgres://app:secret@ep-round-trips.eu-central-1.aws.neon.tech/neondb";

export async function createRoundTripContext(
  opts: Omit<TestOptions, "database"> & { delayMs?: number } = {},
): Promise<RoundTripContext> {
  const { delayMs, ...testOpts } = opts;
  const backing = await freshPglite();
  const neon = await startNeonHttpStandIn(pgliteBackend(backing.client), { delayMs });
  const database = openNeonHttp(NEON_URL, { fetchEndpoint: neon.url });
  const ctx = await createTestContext({ ...testOpts, database });
  // Whatever setup left behind (the bootstrap admin) must not land in the first measurement.
  await ctx.settle();

  const since = (from: number): Trip[] =>
    neon.requests.slice(from).map(({ body }) => ({ statements: statementsOf(body) }));

  async function count<T>(work: () => Promise<T>) {
    const from = neon.requests.length;
    const value = await work();
    return { value, trips: since(from) };
  }

  return {
    ...ctx,
    neon,
    count,
    async measure(path, init) {
      const { value: res, trips: before } = await count(() => ctx.request(path, init));
      // The answer is complete when it is returned; reading it costs no trip.
      const text = await res.text();
      const answered = new Response(text, { status: res.status, headers: res.headers });
      const { trips: after } = await count(() => ctx.settle());
      return { res: answered, before, after };
    },
    async warm(token) {
      ctx.clock.advance((STALE_SECONDS + 1) * 1000);
      const res = await ctx.request("/api/v1/auth/me", { token });
      const text = await res.text();
      assert.equal(res.status, 200, `warming the cache: ${text}`);
      await ctx.settle();
    },
    async close() {
      await ctx.close();
      await neon.close();
      await backing.close();
    },
  };
}

function statementsOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [String(body)];
  const b = body as { query?: string; queries?: { query: string }[] };
  if (Array.isArray(b.queries)) return b.queries.map((q) => q.query);
  return [b.query ?? JSON.stringify(body)];
}

/** The trips, numbered, each with its statements shortened: what an assertion message shows. */
export function describeTrips(trips: Trip[]): string {
  if (trips.length === 0) return "  (none)";
  return trips.map((t, i) => {
    const lines = t.statements.map((s) => `      ${s.replace(/\s+/g, " ").slice(0, 220)}`);
    return `  ${i + 1}. ${t.statements.length > 1 ? `batch of ${t.statements.length}` : "statement"}\n${
      lines.join("\n")
    }`;
  }).join("\n");
}

/**
 * Fails, naming every statement, when a measured request went over its budget (or, with
 * `exactly`, under it: the webhook must store its event before the 200, not skip it).
 */
export function assertWithinBudget(
  m: { before: Trip[]; after?: Trip[] },
  budget: Budget,
  label: string,
  opts: { exactly?: boolean } = {},
): void {
  const check = (trips: Trip[], max: number | undefined, when: string) => {
    if (max === undefined) return;
    const ok = opts.exactly ? trips.length === max : trips.length <= max;
    assert.ok(
      ok,
      `${label}: ${trips.length} round trips ${when}, budget ${opts.exactly ? "exactly " : "≤ "}${max}\n${
        describeTrips(trips)
      }`,
    );
  };
  check(m.before, budget.beforeAnswer, "before the answer");
  if (m.after) check(m.after, budget.afterAnswer, "after the answer");
}
