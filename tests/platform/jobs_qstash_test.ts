import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { createTestContext, type TestContext } from "../support/harness.ts";
import { startQStashStandIn } from "../support/qstash-standin.ts";
import { jobsContract } from "../contracts/jobs-contract.ts";

/**
 * The QStash adapter end to end: our app publishes to the stand-in, the stand-in calls our
 * served `/internal/jobs/:name` with a real signature, and retries what fails, like QStash.
 */
Deno.test("jobs contract: QStash publish and signed callbacks", async (t) => {
  const keys = { currentSigningKey: "sig_current_contract_key", nextSigningKey: "sig_next_contract_key" };
  const qstash = await startQStashStandIn({ token: "qstash-token", ...keys, retryDelayMs: () => 10 });
  // The server listens before the app exists: its port is the app's PUBLIC_BASE_URL.
  const served: { ctx?: TestContext } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => served.ctx!.app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }),
  );
  const ctx = served.ctx = await createTestContext({
    env: {
      PUBLIC_BASE_URL: `http://127.0.0.1:${server.addr.port}`,
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: "qstash-token",
      QSTASH_CURRENT_SIGNING_KEY: keys.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: keys.nextSigningKey,
    },
  });
  await jobsContract(t, () =>
    Promise.resolve({
      queue: ctx.services.jobs,
      registry: ctx.services.jobRegistry,
      settle: () => qstash.waitForIdle(10_000),
      redeliver: async (id) => {
        const d = await qstash.redeliver(id);
        // The ledger's two answers to a duplicate: 409 while it runs, 200 without running after.
        assert.ok(
          d.status === 409 || (d.status === 200 && JSON.parse(d.responseBody).duplicate),
          d.responseBody,
        );
      },
      pass: (ms) => new Promise((r) => setTimeout(r, ms)),
      close: async () => {
        await qstash.close();
        await server.shutdown();
        await ctx.close();
      },
    }));
});

Deno.test("job receiver: only QStash's signature over the exact body is accepted", async (t) => {
  const keys = { currentSigningKey: "sig_current_receiver", nextSigningKey: "sig_next_receiver" };
  const qstash = await startQStashStandIn({ token: "t", ...keys });
  const ctx = await createTestContext({
    env: {
      PUBLIC_BASE_URL: "https://api.pytake.test",
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: "t",
      QSTASH_CURRENT_SIGNING_KEY: keys.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: keys.nextSigningKey,
    },
  });
  const ran: unknown[] = [];
  ctx.services.jobRegistry.register("receiver.test", z.object({ n: z.number() }), (p) => void ran.push(p));
  const url = "https://api.pytake.test/internal/jobs/receiver.test";
  const body = JSON.stringify({ payload: { n: 1 } });
  const call = (signature: string | undefined, sent = body, messageId = `msg_${crypto.randomUUID()}`) =>
    ctx.request("/internal/jobs/receiver.test", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-message-id": messageId,
        ...(signature ? { "upstash-signature": signature } : {}),
      },
      body: sent,
    });
  try {
    await t.step("signed with the current key: runs", async () => {
      const res = await call(await qstash.sign(url, body));
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(ran, [{ n: 1 }]);
    });
    await t.step("signed with the next key (rotation): runs", async () => {
      const res = await call(await qstash.sign(url, body, { key: keys.nextSigningKey }));
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal(ran.length, 2);
    });
    await t.step("the same signed request sent again (a replay): 401, nothing runs", async () => {
      const signature = await qstash.sign(url, body);
      const first = await call(signature, body, "msg_replayed");
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const again = await call(signature, body, "msg_replayed_other_id");
      assert.equal(again.status, 401);
      assert.match((await again.json()).detail, /already used/);
      assert.equal(ran.length, 3);
    });
    await t.step("the same message delivered again with a fresh signature: 200, not run twice", async () => {
      const res = await call(await qstash.sign(url, body), body, "msg_replayed");
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: "completed", duplicate: true });
      assert.equal(ran.length, 3);
    });
    await t.step("no Upstash-Message-Id: 400", async () => {
      const res = await ctx.request("/internal/jobs/receiver.test", {
        method: "POST",
        headers: { "content-type": "application/json", "upstash-signature": await qstash.sign(url, body) },
        body,
      });
      assert.equal(res.status, 400);
      await res.body?.cancel();
      assert.equal(ran.length, 3);
    });
    for (
      const [name, make] of [
        ["no signature", () => Promise.resolve(undefined)],
        ["another key", () => qstash.sign(url, body, { key: "some_other_key" })],
        ["another URL", () => qstash.sign("https://evil.test/internal/jobs/receiver.test", body)],
        ["expired", () => qstash.sign(url, body, { expiresInSeconds: -60 })],
      ] as const
    ) {
      await t.step(`${name}: 401`, async () => {
        const res = await call(await make());
        assert.equal(res.status, 401);
        assert.equal((await res.json()).code, "invalid_signature");
      });
    }
    await t.step("a body changed after signing: 401", async () => {
      const res = await call(await qstash.sign(url, body), JSON.stringify({ payload: { n: 2 } }));
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });
    await t.step("a payload the handler can never accept: 489, not retryable", async () => {
      const bad = JSON.stringify({ payload: { n: "x" } });
      const res = await call(await qstash.sign(url, bad), bad);
      assert.equal(res.status, 489);
      assert.equal(res.headers.get("upstash-nonretryable-error"), "true");
      await res.body?.cancel();
    });
    await t.step("nothing forged, replayed or refused ran", () => {
      assert.equal(ran.length, 3);
    });
  } finally {
    await qstash.close();
    await ctx.close();
  }
});

Deno.test("QSTASH_MAX_RETRIES: no job asks QStash for more retries than the plan has", async () => {
  const keys = { currentSigningKey: "sig_current_cap", nextSigningKey: "sig_next_cap" };
  const qstash = await startQStashStandIn({ token: "cap-token", ...keys, retryDelayMs: () => 5 });
  const served: { ctx?: TestContext } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => served.ctx!.app.fetch(req, { clientIp: (info.remoteAddr as Deno.NetAddr).hostname }),
  );
  const ctx = served.ctx = await createTestContext({
    env: {
      PUBLIC_BASE_URL: `http://127.0.0.1:${server.addr.port}`,
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: "cap-token",
      QSTASH_CURRENT_SIGNING_KEY: keys.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: keys.nextSigningKey,
      QSTASH_MAX_RETRIES: "1",
    },
  });
  const attempts: number[] = [];
  ctx.services.jobRegistry.register("cap.down", z.object({}), (_p, job) => {
    attempts.push(job.attempt);
    throw new Error(`down (attempt ${job.attempt} of ${job.maxAttempts})`);
  }, { maxAttempts: 5 });
  try {
    const { id } = await ctx.services.jobs.enqueue("cap.down", {});
    await qstash.waitForIdle(10_000);
    assert.equal(qstash.published[0].retries, 1, "the handler's 5 attempts cut to the plan's 1 retry + 1");
    assert.deepEqual(attempts, [1, 2]);
    assert.deepEqual(qstash.deliveries.map((d) => d.outcome), ["retry", "failed"]);
    const again = await qstash.redeliver(id);
    assert.equal(again.status, 489, "the receiver knew the second attempt was the last: the job is dead");
    assert.deepEqual(attempts, [1, 2]);
  } finally {
    await qstash.close();
    await server.shutdown();
    await ctx.close();
  }
});
