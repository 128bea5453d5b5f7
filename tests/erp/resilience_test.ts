import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { erpFor } from "../../src/erp/erp-service.ts";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { callLog, connectErp } from "../support/erp.ts";
import { IXC_TOKEN, startIxcStandIn } from "../support/erp-ixc-standin.ts";

type Problem = { code: string; detail: string; reason?: string; retry_after_seconds?: number };

async function setup(settings: Record<string, unknown> = {}) {
  const ixc = await startIxcStandIn();
  const ctx = await createTestContext();
  const owner = await registerTenant(ctx);
  await setPlan(ctx, owner.tenantId, "enterprise");
  await connectErp(ctx, owner.token, "ixc", { api_url: ixc.url, api_key: IXC_TOKEN, settings });
  ixc.requests.length = 0;
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    ctx.request(`/api/v1/erp/ixc${path}`, { token: owner.token, ...init });
  return {
    ixc,
    ctx,
    owner,
    api,
    async close() {
      await ctx.close();
      await ixc.close();
    },
  };
}

Deno.test("an ERP that hangs: 504 erp_timeout within the connection's timeout, not retried, logged", async () => {
  const s = await setup({ timeout_ms: 300 });
  try {
    s.ixc.failAlways({ kind: "hang" });
    const started = performance.now();
    const res = await s.api("/customers/52998224725");
    const elapsed = performance.now() - started;
    const p = await body<Problem>(res);
    assert.equal(res.status, 504, JSON.stringify(p));
    assert.equal(p.code, "erp_timeout");
    assert.match(p.detail, /300 ms/);
    assert.ok(elapsed < 5000, `answered after ${elapsed} ms`);
    assert.equal(s.ixc.requests.length, 1, "a read that timed out used its whole budget: no retry");
    const log = await callLog(s.ctx, s.owner.tenantId, "ixc");
    assert.equal(log.at(-1)!.outcome, "timeout");
  } finally {
    await s.close();
  }
});

Deno.test("reads are retried after fast failures; writes never are", async (t) => {
  const s = await setup({ retries: 2 });
  try {
    await t.step("two 503s then an answer: the lookup succeeds on the third attempt", async () => {
      s.ixc.failNext({ kind: "status", status: 503 }, 2);
      const res = await s.api("/customers/52998224725");
      assert.equal(res.status, 200, await res.text());
      const tries = s.ixc.requests.filter((r) => (r.json as { query?: string })?.query === "529.982.247-25");
      assert.equal(tries.length, 3);
      const log = (await callLog(s.ctx, s.owner.tenantId, "ixc")).filter((l) =>
        l.operation === "find_customers"
      );
      assert.deepEqual(log.slice(0, 3).map((l) => [l.attempt, l.outcome, l.http_status]), [
        [1, "erp_error", 503],
        [2, "erp_error", 503],
        [3, "ok", 200],
      ]);
    });

    await t.step(
      "an unlock that meets a 503 is sent once, fails with IXC's status, and frees the policy",
      async () => {
        const original = s.ixc.requests.length;
        // The contract listing answers; the unlock itself meets the 503.
        s.ixc.flap([null, { kind: "status", status: 503, body: "Service Unavailable" }]);
        const res = await s.api("/customers/1/unblock", { method: "POST" });
        s.ixc.clearFaults();
        const p = await body<Problem>(res);
        assert.equal(res.status, 502, JSON.stringify(p));
        assert.equal(p.code, "erp_error");
        assert.match(p.detail, /503/);
        assert.equal(
          s.ixc.requests.slice(original).filter((r) => r.path.endsWith("desbloqueio_confianca")).length,
          1,
        );
        const claims = await s.ctx.services.database.rows(
          sql`select 1 from erp_unlocks where customer_id = '1'`,
        );
        assert.equal(claims.length, 0, "a refused write gives the claim back");
      },
    );

    await t.step("an unlock that times out may have happened: it is not asked again", async () => {
      await (await s.api("/settings", { method: "PUT", json: { timeout_ms: 300 } })).body?.cancel();
      s.ixc.flap([null, { kind: "hang" }]);
      const res = await s.api("/customers/1/unblock", { method: "POST" });
      s.ixc.clearFaults();
      assert.equal(res.status, 504);
      await res.body?.cancel();
      const again = await s.api("/customers/1/unblock", { method: "POST" });
      const p = await body<Problem>(again);
      assert.equal(again.status, 409);
      assert.equal(p.reason, "policy", "the claim of the timed-out unlock is kept");
      assert.equal(s.ixc.calls("desbloqueio_confianca").length, 2, "one failed, one timed out, none after");
    });

    await t.step("the domain API's idempotency key: a flow step run twice unlocks once", async () => {
      await s.ctx.services.database.rows(sql`delete from erp_unlocks`);
      const erp = await erpFor(s.ctx.services, s.owner.tenantId, { type: "ixc" });
      assert.ok(erp.ok);
      const first = await erp.value.unblock("1", { idempotencyKey: "flow:run-1:step-3" });
      const second = await erp.value.unblock("1", { idempotencyKey: "flow:run-1:step-3" });
      assert.deepEqual(second, first);
      assert.equal(s.ixc.calls("desbloqueio_confianca").length, 3, "one more call, for the two runs");
    });
  } finally {
    await s.close();
  }
});

Deno.test("a flapping ERP: the circuit opens, refuses at once with Retry-After, half-opens for one probe", async (t) => {
  const s = await setup({
    retries: 0,
    circuit: { failure_threshold: 3, cooldown_seconds: 30 },
    cache_ttl_seconds: { customers: 0, plans: 0 },
  });
  try {
    await t.step(
      "failures interleaved with successes still count: the third in a minute opens it",
      async () => {
        s.ixc.flap([{ kind: "status", status: 500 }, null]);
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await s.api("/plans");
          statuses.push(res.status);
          await res.body?.cancel();
        }
        assert.deepEqual(statuses, [502, 200, 502, 200, 502]);
        s.ixc.clearFaults();
      },
    );

    await t.step("open: 503 erp_unavailable with Retry-After, and the ERP is not called", async () => {
      const before = s.ixc.requests.length;
      const res = await s.api("/customers/52998224725");
      const p = await body<Problem>(res);
      assert.equal(res.status, 503, JSON.stringify(p));
      assert.equal(p.code, "erp_unavailable");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter >= 29 && retryAfter <= 30, String(retryAfter));
      assert.equal(s.ixc.requests.length, before);
      const status = await body<{ circuit_state: string }>(await s.api("/status"));
      assert.equal(status.circuit_state, "open");
      await s.ctx.settle();
      const metrics = await body<{ erps: { circuit: { state: string; refused_calls: number } }[] }>(
        await s.ctx.request("/api/v1/erp/metrics", { token: s.owner.token }),
      );
      assert.deepEqual(metrics.erps[0].circuit, { state: "open", refused_calls: 1 });
      const log = await callLog(s.ctx, s.owner.tenantId, "ixc");
      assert.equal(log.at(-1)!.outcome, "circuit_open");
      // The state is in KV, not in this process: any isolate sees it.
      assert.ok(await s.ctx.services.kv.get(`erp:cb:${s.owner.tenantId}:ixc:open`));
    });

    await t.step("after the cooldown one probe goes; a failed probe opens it again at once", async () => {
      s.ctx.clock.advance(31_000);
      s.ixc.failNext({ kind: "status", status: 500 });
      const probe = await s.api("/plans");
      assert.equal(probe.status, 502);
      await probe.body?.cancel();
      const refused = await s.api("/plans");
      assert.equal(refused.status, 503);
      await refused.body?.cancel();
    });

    await t.step("a probe that works closes it", async () => {
      s.ctx.clock.advance(31_000);
      const status = await body<{ circuit_state: string }>(await s.api("/status"));
      assert.equal(status.circuit_state, "half_open");
      const probe = await s.api("/plans");
      assert.equal(probe.status, 200);
      await probe.body?.cancel();
      const next = await s.api("/customers/52998224725");
      assert.equal(next.status, 200);
      await next.body?.cancel();
      assert.equal((await body<{ circuit_state: string }>(await s.api("/status"))).circuit_state, "closed");
    });

    await t.step("POST test calls the ERP outside the circuit, and closes it when it answers", async () => {
      s.ixc.failAlways({ kind: "status", status: 500 });
      for (let i = 0; i < 3; i++) await (await s.api("/plans")).body?.cancel();
      assert.equal((await body<{ circuit_state: string }>(await s.api("/status"))).circuit_state, "open");
      const failing = await body<{ ok: boolean; error: { code: string } }>(
        await s.api("/test", { method: "POST" }),
      );
      assert.equal(failing.ok, false);
      assert.equal(failing.error.code, "erp_error");
      assert.equal((await body<{ status: string }>(await s.api("/status"))).status, "error");
      s.ixc.clearFaults();
      const ok = await body<{ ok: boolean }>(await s.api("/test", { method: "POST" }));
      assert.equal(ok.ok, true);
      const after = await body<{ circuit_state: string; status: string }>(await s.api("/status"));
      assert.deepEqual([after.circuit_state, after.status], ["closed", "connected"]);
    });
  } finally {
    await s.close();
  }
});

Deno.test("an ERP that is down (nothing listening): 502 after the read retries, never a 500", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const res = await ctx.request("/api/v1/erp/connect/ixc", {
      method: "POST",
      token: owner.token,
      json: { api_url: `http://127.0.0.1:${port}`, api_key: IXC_TOKEN, settings: { retries: 1 } },
    });
    const p = await body<Problem>(res);
    assert.equal(res.status, 422, JSON.stringify(p));
    assert.match(p.detail, /Could not reach IXCSoft/);
    const log = await callLog(ctx, owner.tenantId, "ixc");
    assert.deepEqual(log.map((l) => [l.outcome, l.attempt]), [["network", 1], ["network", 2]]);
  } finally {
    await ctx.close();
  }
});

Deno.test("the outbound guard: a private ERP address is refused unless ALLOW_PRIVATE_TARGETS", async () => {
  const ctx = await createTestContext({ env: { ALLOW_PRIVATE_TARGETS: "false" } });
  try {
    const owner = await registerTenant(ctx);
    for (
      const url of ["http://127.0.0.1:8080", "http://192.168.0.10", "http://10.1.1.1", "http://erp.local"]
    ) {
      const res = await ctx.request("/api/v1/erp/connect/ixc", {
        method: "POST",
        token: owner.token,
        json: { api_url: url, api_key: IXC_TOKEN },
      });
      const p = await body<Problem & { errors: { path: string }[] }>(res);
      assert.equal(res.status, 422, url);
      assert.equal(p.errors[0].path, "body.api_url");
    }
  } finally {
    await ctx.close();
  }
});
