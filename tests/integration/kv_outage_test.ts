import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant } from "../support/identity.ts";
import { connectResp } from "../support/resp-client.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";

/** A KV outage on the production adapter: Upstash stops answering, then comes back. */
Deno.test("KV outage: 503 while it lasts, recovery when it ends", async () => {
  const direct = await connectResp({ db: 13 });
  await direct.command(["FLUSHDB"]);
  await direct.close();
  let upstash = await startUpstashStandIn({ token: "outage-token", redis: { db: 13 } });
  const ctx = await createTestContext({
    env: { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: "outage-token" },
  });
  try {
    assert.equal(ctx.services.kv.kind, "upstash");
    const owner = await registerTenant(ctx);
    await upstash.close();

    const ready = await ctx.request("/observability/ready");
    const r = await body<{ checks: { database: { status: string }; kv: { status: string } } }>(ready);
    assert.equal(ready.status, 503);
    assert.deepEqual([r.checks.database.status, r.checks.kv.status], ["up", "down"]);
    const me = await ctx.request("/api/v1/auth/me", { token: owner.token });
    const p = await body(me);
    assert.equal(me.status, 503, JSON.stringify(p));
    assert.equal(p.code, "service_unavailable");

    upstash = await startUpstashStandIn({ token: "outage-token", redis: { db: 13 }, port: upstash.port });
    assert.equal((await ctx.request("/observability/ready")).status, 200);
    assert.equal(
      (await ctx.request("/api/v1/auth/me", { token: owner.token })).status,
      200,
      "the session survived",
    );
  } finally {
    await ctx.close();
    await upstash.close();
  }
});
