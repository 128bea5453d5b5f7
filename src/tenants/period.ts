import { z } from "@hono/zod-openapi";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { isTimeZone } from "./tenant-settings.ts";

export type PeriodName = "today" | "week" | "month";

export interface PeriodQuery {
  period?: PeriodName;
  /** A date (`2024-03-01`: that whole day in the tenant's zone) or an instant with its offset. */
  from?: string;
  to?: string;
}

/** A resolved period: `[from, to)` as instants, and the zone that defined its days. */
export interface Period {
  name: PeriodName | "custom";
  timeZone: string;
  from: Date;
  to: Date;
}

const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** `period`, or `from` + `to`: the query every report takes. */
export const PeriodQuerySchema = z.object({
  period: z.enum(["today", "week", "month"]).default("today").openapi({
    description: "Today, this week (from Monday) or this month, up to now, in the tenant's time zone.",
  }),
  from: DateOrInstant.optional().openapi({
    description: "With `to`, a range instead of `period`; a date means that whole day in the tenant's zone.",
    example: "2026-11-01",
  }),
  to: DateOrInstant.optional().openapi({ example: "2026-11-26" }),
});

/** The tenant's IANA zone from its settings, São Paulo when it never chose one. */
export function timeZoneOf(settings: Record<string, unknown> | null | undefined): string {
  const tz = settings?.timezone;
  return typeof tz === "string" && isTimeZone(tz) ? tz : "America/Sao_Paulo";
}

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/**
 * The instants a period covers, its days taken in the tenant's zone (a day with a daylight-saving
 * change is 23 or 25 hours long). Computed here with the runtime's zone rules rather than asked of
 * PostgreSQL: a report is then one batch of statements, not a round trip to learn its bounds
 * first (src/platform/db/round-trips.ts). tests/tenants/period_test.ts holds it to PostgreSQL's
 * answers.
 */
export function resolvePeriod(
  s: Pick<Services, "clock">,
  settings: Record<string, unknown> | null | undefined,
  q: PeriodQuery,
): Result<Period> {
  const tz = timeZoneOf(settings);
  const now = s.clock.now();
  if (q.from || q.to) {
    if (!q.from || !q.to) {
      return fail("validation_failed", "Give both `from` and `to`, or a `period`", {
        errors: [{ path: q.from ? "query.to" : "query.from", message: "Required with the other" }],
      });
    }
    const from = isDate(q.from) ? localDayStart(tz, q.from, 0) : new Date(q.from);
    const to = isDate(q.to) ? localDayStart(tz, q.to, 1) : new Date(q.to);
    if (!(from < to)) {
      return fail("validation_failed", "`from` must come before `to`", {
        errors: [{ path: "query.to", message: "Before from" }],
      });
    }
    if (to.getTime() - from.getTime() > 400 * 86_400_000) {
      return fail("validation_failed", "A range covers at most 400 days", {
        errors: [{ path: "query.from", message: "Range too long" }],
      });
    }
    return ok({ name: "custom", timeZone: tz, from, to });
  }
  const name = q.period ?? "today";
  const [y, m, d] = wallClock(tz, now.getTime());
  let day = `${y}-${pad(m)}-${pad(d)}`;
  if (name === "month") day = `${y}-${pad(m)}-01`;
  // `date_trunc('week')`: weeks start on Monday.
  const back = name === "week" ? (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7 : 0;
  return ok({ name, timeZone: tz, from: localDayStart(tz, day, -back), to: now });
}

const pad = (n: number) => String(n).padStart(2, "0");

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Year, month, day, hour, minute, second on the wall clocks of `tz` at `ms`. */
function wallClock(tz: string, ms: number): number[] {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(tz, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second];
}

/** How far the zone's wall clock is ahead of UTC at `ms`. */
function offsetAt(tz: string, ms: number): number {
  const [y, mo, d, h, mi, sec] = wallClock(tz, ms);
  return Date.UTC(y, mo - 1, d, h, mi, sec) - Math.floor(ms / 1000) * 1000;
}

/**
 * Midnight starting the local day `date` + `addDays` in `tz`, as PostgreSQL's
 * `timestamp at time zone` reads it: a wall time that happens twice (clocks turned back) is taken
 * in standard time, the later instant; one that never happens (clocks turned forward over
 * midnight) as if standard time still held, which is the moment the day begins.
 */
function localDayStart(tz: string, date: string, addDays: number): Date {
  const [y, m, d] = date.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d + addDays);
  // The zone's offsets on either side of that wall time; they differ only around a change.
  const before = offsetAt(tz, wall - 86_400_000);
  const after = offsetAt(tz, wall + 86_400_000);
  const candidates = [...new Set([before, after])].map((o) => wall - o);
  const exact = candidates.filter((t) => {
    const [cy, cm, cd, ch, cmi] = wallClock(tz, t);
    return Date.UTC(cy, cm - 1, cd, ch, cmi) === wall;
  });
  if (exact.length > 0) return new Date(Math.max(...exact));
  return new Date(wall - Math.min(before, after));
}
