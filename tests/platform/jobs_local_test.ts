import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import { JobRegistry } from "../../src/platform/jobs/jobs.ts";
import { LocalJobRunner } from "../../src/platform/jobs/local-job-runner.ts";
import { createObservability } from "../../src/observability/observability.ts";
import { jobsContract } from "../contracts/jobs-contract.ts";
import { freshPglite, TestClock } from "../support/harness.ts";

function runner(db: Awaited<ReturnType<typeof freshPglite>>, registry: JobRegistry, clock: TestClock) {
  const obs = createObservability({ level: "silent" });
  return new LocalJobRunner(db, registry, obs.log, obs.metrics, {
    now: () => clock.now(),
    backoffMs: () => 0,
  });
}

Deno.test("jobs contract: in-process runner on the jobs table", async (t) => {
  const db = await freshPglite();
  const clock = new TestClock();
  const registry = new JobRegistry();
  const r = runner(db, registry, clock);
  // Another process polling the same table.
  const other = runner(db, registry, clock);
  await jobsContract(t, () =>
    Promise.resolve({
      queue: r,
      registry,
      settle: async () => void await r.drain(),
      redeliver: async () => void await other.drain(),
      pass: (ms) => {
        clock.advance(ms);
        return Promise.resolve();
      },
      close: async () => {
        await r.stop();
        await db.close();
      },
    }));
});

Deno.test("local runner: a job due while the process was down runs when it comes back", async () => {
  const db = await freshPglite();
  const clock = new TestClock();
  const ran: number[] = [];
  const registry = () => {
    const reg = new JobRegistry();
    reg.register("durable.send", z.object({ n: z.number() }), (p) => void ran.push(p.n));
    return reg;
  };
  try {
    const before = runner(db, registry(), clock);
    await before.enqueue("durable.send", { n: 1 }, { delaySeconds: 60 });
    await before.stop(); // the process goes away before the job is due

    clock.advance(5 * 60_000); // …and comes back five minutes later
    const after = runner(db, registry(), clock);
    assert.equal(await after.drain(), 1);
    assert.deepEqual(ran, [1]);
    const [row] = await db.db.select().from(jobs);
    assert.equal(row.status, "completed");
  } finally {
    await db.close();
  }
});

Deno.test("local runner: a job whose process died mid-run is claimed again after its lock", async () => {
  const db = await freshPglite();
  const clock = new TestClock();
  const ran: number[] = [];
  const reg = new JobRegistry();
  reg.register("crash.me", z.object({ n: z.number() }), (p) => void ran.push(p.n));
  try {
    const r = runner(db, reg, clock);
    const { id } = await r.enqueue("crash.me", { n: 9 });
    // What a crash leaves behind: claimed, attempt counted, never finished.
    await db.db.update(jobs).set({
      status: "running",
      attempts: 1,
      lockedUntil: new Date(clock.now().getTime() + 300_000),
    }).where(eq(jobs.id, id));
    assert.equal(await r.drain(), 0, "still locked by the dead process");
    clock.advance(301_000);
    assert.equal(await r.drain(), 1);
    assert.deepEqual(ran, [9]);
    const [row] = await db.db.select().from(jobs).where(eq(jobs.id, id));
    assert.deepEqual([row.status, row.attempts], ["completed", 2]);
  } finally {
    await db.close();
  }
});

Deno.test("local runner: started, it picks up new jobs by itself", async () => {
  const db = await freshPglite();
  const clock = new TestClock();
  const reg = new JobRegistry();
  let resolve!: (n: number) => void;
  const done = new Promise<number>((r) => resolve = r);
  reg.register("auto.run", z.object({ n: z.number() }), (p) => resolve(p.n));
  const r = runner(db, reg, clock);
  r.start();
  try {
    await r.enqueue("auto.run", { n: 3 });
    assert.equal(await done, 3);
  } finally {
    await r.stop();
    await db.close();
  }
});

Deno.test("local runner: failures are recorded on the row; dead jobs keep the last error", async () => {
  const db = await freshPglite();
  const clock = new TestClock();
  const reg = new JobRegistry();
  reg.register("bad.payload", z.object({ n: z.number() }), () => {});
  reg.register("always.down", z.object({}), () => Promise.reject(new Error("connection refused")), {
    maxAttempts: 2,
  });
  try {
    const r = runner(db, reg, clock);
    const bad = await r.enqueue("bad.payload", { n: "not a number" });
    const down = await r.enqueue("always.down", {});
    await r.drain();
    const [badRow] = await db.db.select().from(jobs).where(eq(jobs.id, bad.id));
    assert.deepEqual(
      [badRow.status, badRow.attempts],
      ["dead", 1],
      "a payload that can never parse is not retried",
    );
    assert.match(badRow.lastError!, /invalid payload/);
    const [downRow] = await db.db.select().from(jobs).where(eq(jobs.id, down.id));
    assert.deepEqual([downRow.status, downRow.attempts, downRow.lastError], [
      "dead",
      2,
      "connection refused",
    ]);
  } finally {
    await db.close();
  }
});
