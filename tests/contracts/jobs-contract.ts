import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { type JobQueue, type JobRegistry, PermanentJobError } from "../../src/platform/jobs/jobs.ts";

export interface JobsFixture {
  queue: JobQueue;
  registry: JobRegistry;
  /** Runs (or waits for) everything that is due, retries included, until nothing is left. */
  settle(): Promise<void>;
  /** Lets time pass: the local runner's clock jumps, QStash's real timers wait. */
  pass(ms: number): Promise<void>;
  /**
   * The transport delivers the job with this id once more now, as at-least-once delivery may:
   * QStash sends the same message again with a fresh signature; on the table a second poller
   * (another process) looks for due work at the same moment.
   */
  redeliver(id: string): Promise<void>;
  close(): Promise<void>;
}

/** The job semantics every adapter gives: delivery, retries, permanent failures, dedupe, delay. */
export async function jobsContract(t: Deno.TestContext, make: () => Promise<JobsFixture>): Promise<void> {
  const f = await make();
  const runs: Record<string, { payload: unknown; attempt: number }[]> = {};
  const record = (name: string, payload: unknown, attempt: number) => {
    (runs[name] ??= []).push({ payload, attempt });
  };
  const Payload = z.object({ n: z.number() });

  f.registry.register("contract.ok", Payload, (p, ctx) => record("contract.ok", p, ctx.attempt));
  f.registry.register("contract.flaky", Payload, (p, ctx) => {
    record("contract.flaky", p, ctx.attempt);
    if (ctx.attempt < 3) throw new Error("temporary failure");
  }, { maxAttempts: 5 });
  f.registry.register("contract.always-fails", Payload, (p, ctx) => {
    record("contract.always-fails", p, ctx.attempt);
    throw new Error("down");
  }, { maxAttempts: 3 });
  f.registry.register("contract.permanent", Payload, (p, ctx) => {
    record("contract.permanent", p, ctx.attempt);
    throw new PermanentJobError("4xx from the endpoint");
  }, { maxAttempts: 5 });
  f.registry.register(
    "contract.dedupe",
    Payload,
    (p, ctx) => record("contract.dedupe", p, ctx.attempt),
  );
  f.registry.register("contract.twice", Payload, (p, ctx) => record("contract.twice", p, ctx.attempt));
  let openGate!: () => void;
  const gate = new Promise<void>((r) => openGate = r);
  f.registry.register("contract.slow", Payload, async (p, ctx) => {
    record("contract.slow", p, ctx.attempt);
    await gate;
  });
  f.registry.register(
    "contract.delayed",
    Payload,
    (p, ctx) => record("contract.delayed", p, ctx.attempt),
  );

  try {
    await t.step("an enqueued job runs once with its payload", async () => {
      const res = await f.queue.enqueue("contract.ok", { n: 1 });
      assert.equal(res.deduplicated, false);
      assert.ok(res.id.length > 0);
      await f.settle();
      assert.deepEqual(runs["contract.ok"], [{ payload: { n: 1 }, attempt: 1 }]);
    });

    await t.step("a failing job is retried until it succeeds", async () => {
      await f.queue.enqueue("contract.flaky", { n: 2 });
      await f.settle();
      assert.deepEqual(runs["contract.flaky"].map((r) => r.attempt), [1, 2, 3]);
    });

    await t.step("attempts stop at maxAttempts", async () => {
      await f.queue.enqueue("contract.always-fails", { n: 3 });
      await f.settle();
      assert.deepEqual(runs["contract.always-fails"].map((r) => r.attempt), [1, 2, 3]);
    });

    await t.step("a permanent failure is not retried", async () => {
      await f.queue.enqueue("contract.permanent", { n: 4 });
      await f.settle();
      assert.equal(runs["contract.permanent"].length, 1);
    });

    await t.step("the same dedupe id enqueues once", async () => {
      const dedupeId = `dedupe-${crypto.randomUUID()}`;
      const a = await f.queue.enqueue("contract.dedupe", { n: 5 }, { dedupeId });
      const b = await f.queue.enqueue("contract.dedupe", { n: 6 }, { dedupeId });
      assert.equal(a.deduplicated, false);
      assert.equal(b.deduplicated, true);
      assert.equal(b.id, a.id, "the second enqueue names the first job");
      await f.settle();
      assert.deepEqual(runs["contract.dedupe"], [{ payload: { n: 5 }, attempt: 1 }]);
    });

    await t.step("a job delivered again after it completed does not run again", async () => {
      const { id } = await f.queue.enqueue("contract.twice", { n: 8 });
      await f.settle();
      await f.redeliver(id);
      await f.settle();
      assert.deepEqual(runs["contract.twice"], [{ payload: { n: 8 }, attempt: 1 }]);
    });

    await t.step("a second delivery while the job runs does not run it twice", async () => {
      const { id } = await f.queue.enqueue("contract.slow", { n: 9 });
      const first = f.settle();
      const deadline = Date.now() + 10_000;
      while (!runs["contract.slow"]) {
        if (Date.now() > deadline) throw new Error("the slow job never started");
        await new Promise((r) => setTimeout(r, 5));
      }
      await f.redeliver(id);
      openGate();
      await first;
      await f.settle();
      assert.deepEqual(runs["contract.slow"], [{ payload: { n: 9 }, attempt: 1 }]);
    });

    await t.step("a delayed job waits for its time", async () => {
      await f.queue.enqueue("contract.delayed", { n: 7 }, { delaySeconds: 2 });
      await f.pass(300);
      assert.equal(runs["contract.delayed"], undefined, "not yet");
      await f.pass(2200);
      await f.settle();
      assert.deepEqual(runs["contract.delayed"], [{ payload: { n: 7 }, attempt: 1 }]);
    });
  } finally {
    await f.close();
  }
}
