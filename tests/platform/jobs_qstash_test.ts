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
  const call = (signature: string | undefined, sent = body) =>
    ctx.request("/internal/jobs/receiver.test", {
      method: "POST",
      headers: {
        "content-type": "application/json",
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
  } finally {
    await qstash.close();
    await ctx.close();
  }
});
