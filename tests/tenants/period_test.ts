import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { resolvePeriod } from "../../src/tenants/period.ts";
import { freshPglite, TestClock } from "../support/harness.ts";

/**
 * Periods are computed with the runtime's zone rules (no round trip to ask PostgreSQL); this holds
 * them to what PostgreSQL answers (`date_trunc(… at time zone tz) at time zone tz` and
 * `date::timestamp at time zone tz`) for every day of three years in zones whose clocks change at
 * 02:00, at midnight (Havana, Santiago, Beirut, Cairo), by half an hour (Lord Howe), or never.
 */
const ZONES = [
  "America/Sao_Paulo",
  "America/Manaus",
  "America/New_York",
  "America/Havana",
  "America/Santiago",
  "Asia/Beirut",
  "Africa/Cairo",
  "Europe/London",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "UTC",
];

Deno.test("periods: every day's bounds agree with PostgreSQL's zone rules", async () => {
  const db = await freshPglite();
  try {
    for (const tz of ZONES) {
      const rows = await db.rows<{ day: string; from: string; to: string }>(sql`
        select to_char(d, 'YYYY-MM-DD') as day,
          (d::date::timestamp at time zone ${tz}) as from,
          ((d::date + 1)::timestamp at time zone ${tz}) as to
        from generate_series('2024-01-01'::date, '2026-12-31'::date, interval '1 day') d`);
      const clock = new TestClock();
      for (const r of rows) {
        const p = resolvePeriod({ clock }, { timezone: tz }, { from: r.day, to: r.day });
        assert.ok(p.ok);
        assert.equal(p.value.from.toISOString(), new Date(r.from).toISOString(), `${tz} ${r.day} from`);
        assert.equal(p.value.to.toISOString(), new Date(r.to).toISOString(), `${tz} ${r.day} to`);
      }
    }
  } finally {
    await db.close();
  }
});

Deno.test("periods: today, this week and this month start where PostgreSQL says", async () => {
  const db = await freshPglite();
  try {
    for (const tz of ZONES) {
      // Every nine hours and seven minutes over two years: every hour of the day comes round.
      const rows = await db.rows<{ at: string; day: string; week: string; month: string }>(sql`
        select t as at,
          date_trunc('day', t at time zone ${tz}) at time zone ${tz} as day,
          date_trunc('week', t at time zone ${tz}) at time zone ${tz} as week,
          date_trunc('month', t at time zone ${tz}) at time zone ${tz} as month
        from generate_series('2024-01-01T00:00:00Z'::timestamptz, '2025-12-31T00:00:00Z'::timestamptz,
          interval '9 hours 7 minutes') t`);
      const clock = new TestClock();
      for (const r of rows) {
        clock.set(new Date(r.at));
        for (const [name, expected] of [["today", r.day], ["week", r.week], ["month", r.month]] as const) {
          const p = resolvePeriod({ clock }, { timezone: tz }, { period: name });
          assert.ok(p.ok);
          assert.equal(
            p.value.from.toISOString(),
            new Date(expected).toISOString(),
            `${tz} ${name} at ${new Date(r.at).toISOString()}`,
          );
        }
      }
    }
  } finally {
    await db.close();
  }
});
