import { strict as assert } from "node:assert";
import { atomicList } from "../../src/platform/db/database.ts";
import type { JobQueue } from "../../src/platform/jobs/jobs.ts";
import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { jobs, webhookDeliveries } from "../../db/schema/index.ts";
import { guardedFetch, OutboundRefused } from "../../src/platform/http/guarded-fetch.ts";
import { MAX_ATTEMPTS, RETRY_DELAYS_S } from "../../src/webhooks/deliver-webhooks.ts";
import { sweepDeliveries } from "../../src/webhooks/deliver-webhooks.ts";
import { body, createTestContext, testConfig, type TestContext } from "../support/harness.ts";
import { createApiKey, lastMail, registerTenant } from "../support/identity.ts";
import { startReceiver } from "../support/webhook-receiver.ts";
import { addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

type Hook = { id: string; secret?: string; secret_hint: string; is_active: boolean; events: string[] };
type Attempt = {
  outcome: string;
  status_code: number | null;
  attempt: number;
  event_id: string;
  manual: boolean;
};

/**
 * A receiver written from the documentation alone (the OpenAPI description of POST /webhooks):
 * `X-PyTake-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, five minutes of tolerance.
 */
function verify(secret: string, header: string | undefined, rawBody: string, nowSeconds: number): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(",").map((kv) => kv.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function addHook(ctx: TestContext, token: string, input: Record<string, unknown>): Promise<Hook> {
  const res = await ctx.request("/api/v1/webhooks", { method: "POST", token, json: input });
  const b = await body<Hook>(res);
  assert.equal(res.status, 201, JSON.stringify(b));
  return b;
}

const pendingJobs = (ctx: TestContext) =>
  ctx.services.database.db.select().from(jobs).where(
    and(eq(jobs.name, "webhooks.deliver"), eq(jobs.status, "pending")),
  );

Deno.test("webhooks: endpoints are managed, the secret shown once, bad URLs refused", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    let hook: Hook;
    await t.step("create with a secret of our own: never sent back, only its hint", async () => {
      hook = await addHook(ctx, owner.token, {
        url: "https://example.com/webhook",
        events: ["message.received", "message.sent"],
        secret: "webhook_secret_1234",
      });
      assert.equal(hook.secret, undefined);
      assert.equal(hook.secret_hint, "webhoo…1234");
      const got = await body<Hook>(await ctx.request(`/api/v1/webhooks/${hook.id}`, { token: owner.token }));
      assert.equal(got.secret, undefined);
      assert.deepEqual(got.events, ["message.received", "message.sent"]);
      const stored = await ctx.services.database.rows<{ secret: string }>(
        sql`select secret from webhook_endpoints where id = ${hook.id}`,
      );
      assert.ok(!stored[0].secret.includes("webhook_secret_1234"), "sealed at rest");
    });

    await t.step("without a secret one is generated; rotation gives a new one", async () => {
      const generated = await addHook(ctx, owner.token, { url: "https://example.com/other", events: ["*"] });
      assert.match(generated.secret!, /^whsec_[\w-]{32}$/);
      const rotated = await body<Hook>(
        await ctx.request(`/api/v1/webhooks/${generated.id}`, {
          method: "PUT",
          token: owner.token,
          json: { rotate_secret: true },
        }),
      );
      assert.ok(rotated.secret && rotated.secret !== generated.secret);
      const listed = await body<{ data: Hook[]; meta: { total: number } }>(
        await ctx.request("/api/v1/webhooks", { token: owner.token }),
      );
      assert.equal(listed.meta.total, 2);
      assert.ok(listed.data.every((h) => h.secret === undefined));
    });

    await t.step("bad input: 422 naming the field", async () => {
      for (
        const [input, path] of [
          [{ url: "ftp://example.com/x", events: ["*"] }, "body.url"],
          [{ url: "https://example.com/x", events: ["message.exploded"] }, "body.events.0"],
          [{ url: "https://example.com/x", events: [] }, "body.events"],
          [{ url: "https://example.com/x", events: ["*"], secret: "short" }, "body.secret"],
        ] as const
      ) {
        const res = await ctx.request("/api/v1/webhooks", {
          method: "POST",
          token: owner.token,
          json: input,
        });
        const p = await body<{ code: string; errors: { path: string }[] }>(res);
        assert.equal(res.status, 422, JSON.stringify(input));
        assert.ok(p.errors.some((e) => e.path === path), `${path} in ${JSON.stringify(p.errors)}`);
      }
    });

    await t.step("delete: gone, and its waiting deliveries cancelled", async () => {
      const del = await ctx.request(`/api/v1/webhooks/${hook.id}`, { method: "DELETE", token: owner.token });
      assert.equal(del.status, 204);
      const again = await ctx.request(`/api/v1/webhooks/${hook.id}`, { token: owner.token });
      assert.equal(again.status, 404);
      await again.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("webhooks: private and loopback targets are refused unless allowed", async () => {
  const ctx = await createTestContext({ env: { ALLOW_PRIVATE_TARGETS: "" } });
  try {
    const owner = await registerTenant(ctx);
    for (
      const url of [
        "http://127.0.0.1:8080/x",
        "http://10.0.0.7/x",
        "http://169.254.169.254/latest",
        "http://localhost/x",
      ]
    ) {
      const res = await ctx.request("/api/v1/webhooks", {
        method: "POST",
        token: owner.token,
        json: { url, events: ["*"] },
      });
      assert.equal(res.status, 422, url);
      await res.body?.cancel();
    }
    // A public-looking name that resolves inside the network is refused at delivery time.
    const s = {
      config: testConfig({ ALLOW_PRIVATE_TARGETS: "" }),
      fetch: () => Promise.resolve(new Response("ok")),
    };
    await assert.rejects(
      guardedFetch(
        s,
        "https://hooks.example.com/x",
        { timeoutMs: 1000 },
        (_h, type) => Promise.resolve(type === "A" ? ["10.1.2.3"] : []),
      ),
      OutboundRefused,
    );
    const ok = await guardedFetch(
      s,
      "https://hooks.example.com/x",
      { timeoutMs: 1000 },
      (_h, type) => Promise.resolve(type === "A" ? ["93.184.216.34"] : []),
    );
    assert.equal(ok.status, 200);
  } finally {
    await ctx.close();
  }
});

Deno.test("webhooks: events arrive signed, once per endpoint, only those asked for", async (t) => {
  const ctx = await createTestContext();
  const receiver = await startReceiver();
  const everything = await startReceiver();
  try {
    const owner = await registerTenant(ctx);
    const other = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const hook = await addHook(ctx, owner.token, { url: receiver.url, events: ["message.received"] });
    await addHook(ctx, owner.token, { url: everything.url, events: ["*"] });
    await addHook(ctx, other.token, { url: receiver.url, events: ["*"] });
    await customerWrites(ctx, owner.token, number.id, customerPhone(), "Minha internet caiu");
    await ctx.services.runner!.drain();

    await t.step("the subscribed event, with a signature a receiver can check from the docs", () => {
      assert.equal(receiver.received.length, 1, receiver.received.map((r) => r.json.event).join());
      const r = receiver.received[0];
      assert.equal(r.json.event, "message.received");
      assert.equal(r.json.tenant_id, owner.tenantId);
      assert.equal((r.json.data.message as { body: string }).body, "Minha internet caiu");
      assert.equal(r.headers["x-pytake-event-id"], r.json.id);
      assert.equal(r.headers["x-pytake-event-type"], "message.received");
      assert.equal(r.headers["x-pytake-attempt"], "1");
      assert.equal(r.headers["content-type"], "application/json");
      const now = Math.floor(ctx.clock.now().getTime() / 1000);
      assert.ok(verify(hook.secret!, r.headers["x-pytake-signature"], r.body, now), "signature verifies");
      assert.ok(!verify("another-secret-000", r.headers["x-pytake-signature"], r.body, now));
      assert.ok(
        !verify(hook.secret!, r.headers["x-pytake-signature"], r.body.replace("caiu", "voltou"), now),
      );
      assert.ok(!verify(hook.secret!, r.headers["x-pytake-signature"], r.body, now + 600), "replay window");
    });

    await t.step("`*` gets every event of the tenant, and never another tenant's", () => {
      const types = everything.received.map((r) => r.json.event).sort();
      assert.deepEqual(types, ["contact.created", "conversation.created", "message.received"]);
      assert.ok(everything.received.every((r) => r.json.tenant_id === owner.tenantId));
    });

    await t.step("the log shows the attempt", async () => {
      const log = await body<{ data: Attempt[] }>(
        await ctx.request(`/api/v1/webhooks/${hook.id}/logs`, { token: owner.token }),
      );
      assert.deepEqual(log.data.map((a) => [a.outcome, a.status_code, a.attempt, a.manual]), [[
        "success",
        200,
        1,
        false,
      ]]);
    });
  } finally {
    await receiver.close();
    await everything.close();
    await ctx.close();
  }
});

Deno.test("webhooks: failures are retried on a growing schedule; a 4xx is final", async (t) => {
  const ctx = await createTestContext();
  const receiver = await startReceiver();
  try {
    const owner = await registerTenant(ctx);
    // A key: the retries span a day, longer than an access token lives.
    const key = await createApiKey(ctx, owner.token);
    const number = await addSandboxNumber(ctx, key);
    const first = await addHook(ctx, key, { url: receiver.url, events: ["message.received"] });

    await t.step("503, 429 and timeouts-to-be are retried with the documented delays", async () => {
      receiver.answer(503);
      await customerWrites(ctx, key, number.id, customerPhone(), "Oi");
      await ctx.services.runner!.drain();
      const delays: number[] = [];
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        const [next] = await pendingJobs(ctx);
        assert.ok(next, `attempt ${attempt + 1} is booked`);
        const delay = (next.runAt.getTime() - ctx.clock.now().getTime()) / 1000;
        delays.push(delay);
        const base = RETRY_DELAYS_S[attempt - 1];
        assert.ok(
          delay >= base * 0.8 - 1 && delay <= base * 1.2 + 1,
          `delay ${delay} s after attempt ${attempt}`,
        );
        ctx.clock.advance(delay * 1000 + 1000);
        await ctx.services.runner!.drain();
      }
      assert.equal(receiver.received.length, MAX_ATTEMPTS);
      assert.deepEqual(
        receiver.received.map((r) => r.headers["x-pytake-attempt"]),
        [
          ...Array(MAX_ATTEMPTS).keys(),
        ].map((i) => String(i + 1)),
      );
      assert.equal(new Set(receiver.received.map((r) => r.json.id)).size, 1, "the same event every time");
      assert.equal((await pendingJobs(ctx)).length, 0, "given up after the last attempt");
      const [d] = await ctx.services.database.db.select().from(webhookDeliveries);
      assert.equal(d.status, "failed");
      assert.equal(d.attempts, MAX_ATTEMPTS);
      const total = delays.reduce((a, b) => a + b, 0) / 3600;
      assert.ok(total > 18 && total < 29, `about a day of retries: ${total.toFixed(1)} h`);
    });

    await t.step("a 400 is not retried", async () => {
      // A fresh endpoint: the first one has failed for about a day and may be switched off.
      await (await ctx.request(`/api/v1/webhooks/${first.id}`, { method: "DELETE", token: key })).body
        ?.cancel();
      await addHook(ctx, key, { url: receiver.url, events: ["message.received"] });
      receiver.received.length = 0;
      receiver.answer(400);
      await customerWrites(ctx, key, number.id, customerPhone(), "Oi de novo");
      await ctx.services.runner!.drain();
      assert.equal(receiver.received.length, 1);
      assert.equal((await pendingJobs(ctx)).length, 0);
    });

    await t.step("a 429 is retried, then a success ends it", async () => {
      receiver.received.length = 0;
      receiver.answer(429, 200);
      await customerWrites(ctx, key, number.id, customerPhone(), "Terceira");
      await ctx.services.runner!.drain();
      ctx.clock.advance(60_000);
      await ctx.services.runner!.drain();
      assert.equal(receiver.received.length, 2);
      const statuses = await ctx.services.database.rows<{ status: string }>(
        sql`select status from webhook_deliveries where event_id = ${receiver.received[0].json.id}`,
      );
      assert.equal(statuses[0].status, "succeeded");
    });
  } finally {
    await receiver.close();
    await ctx.close();
  }
});

Deno.test("webhooks: an endpoint failing for a day is disabled and the admins are told", async () => {
  const ctx = await createTestContext();
  const receiver = await startReceiver();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    // A key: the test spans more than a day, longer than an access token lives.
    const keyRes = await ctx.request("/api/v1/api-keys", {
      method: "POST",
      token: owner.token,
      json: { name: "k" },
    });
    const key = (await body<{ key: string }>(keyRes)).key;
    const hook = await addHook(ctx, key, { url: receiver.url, events: ["message.received"] });
    receiver.answer(500);
    await customerWrites(ctx, key, number.id, customerPhone(), "Primeira");
    await ctx.services.runner!.drain();
    let got = await body<Hook & { failing_since: string }>(
      await ctx.request(`/api/v1/webhooks/${hook.id}`, { token: key }),
    );
    assert.ok(got.failing_since);
    assert.equal(got.is_active, true, "one failure does not switch it off");

    ctx.clock.advance(25 * 3600_000);
    await customerWrites(ctx, key, number.id, customerPhone(), "Um dia depois");
    await ctx.services.runner!.drain();
    got = await body(await ctx.request(`/api/v1/webhooks/${hook.id}`, { token: key }));
    assert.equal(got.is_active, false);
    assert.match(
      (got as unknown as { disabled_reason: string }).disabled_reason,
      /^Failing since \d{4}-\d\d-\d\d/,
    );
    const mail = await lastMail(ctx, owner.email);
    assert.ok(mail, "the owner got a mail");
    const audit = await ctx.services.database.rows<{ actor_type: string }>(
      sql`select actor_type from audit_log where action = 'webhook.disable' and target_id = ${hook.id}`,
    );
    assert.deepEqual(audit.map((a) => a.actor_type), ["system"]);

    const before = receiver.received.length;
    await customerWrites(ctx, key, number.id, customerPhone(), "Depois de desativado");
    await ctx.services.runner!.drain();
    assert.equal(receiver.received.length, before, "nothing is sent to a disabled endpoint");

    // The test ping still goes (to check a fix); turning it on again clears the record.
    receiver.answer(200);
    const ping = await body<{ delivered: boolean; status_code: number }>(
      await ctx.request(`/api/v1/webhooks/${hook.id}/test`, { method: "POST", token: key }),
    );
    assert.deepEqual([ping.delivered, ping.status_code], [true, 200]);
    assert.equal(receiver.received.at(-1)!.json.event, "ping");
    const on = await body<Hook & { failing_since: string | null }>(
      await ctx.request(`/api/v1/webhooks/${hook.id}`, {
        method: "PUT",
        token: key,
        json: { is_active: true },
      }),
    );
    assert.deepEqual([on.is_active, on.failing_since], [true, null]);
  } finally {
    await receiver.close();
    await ctx.close();
  }
});

Deno.test("webhooks: a crash between the POST and its record loses nothing", async () => {
  const ctx = await createTestContext();
  const receiver = await startReceiver();
  try {
    const owner = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const hook = await addHook(ctx, owner.token, { url: receiver.url, events: ["message.received"] });
    const database = ctx.services.database;
    const atomic = database.atomic.bind(database);
    let crashes = 1;
    // The first record after a delivery dies, as if the process were killed right there.
    (database as { atomic: typeof atomic }).atomic = ((build: Parameters<typeof atomic>[0]) => {
      if (receiver.received.length > 0 && crashes > 0) {
        crashes--;
        return Promise.reject(new Error("killed"));
      }
      return atomic(build);
    }) as unknown as typeof atomic;
    await customerWrites(ctx, owner.token, number.id, customerPhone(), "Não pode se perder");
    await ctx.services.runner!.drain();
    (database as { atomic: typeof atomic }).atomic = atomic;
    assert.equal(receiver.received.length, 2, "delivered again after the crash");
    assert.equal(receiver.received[0].json.id, receiver.received[1].json.id, "with the same event id");
    const log = await body<{ data: Attempt[] }>(
      await ctx.request(`/api/v1/webhooks/${hook.id}/logs`, { token: owner.token }),
    );
    assert.deepEqual(log.data.map((a) => a.outcome), ["success"]);
  } finally {
    await receiver.close();
    await ctx.close();
  }
});

Deno.test("webhooks: test, retry of an event, a lost job swept, and other tenants", async (t) => {
  const ctx = await createTestContext();
  const receiver = await startReceiver();
  try {
    const owner = await registerTenant(ctx);
    const other = await registerTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const hook = await addHook(ctx, owner.token, { url: receiver.url, events: ["message.received"] });
    const theirs = await addHook(ctx, other.token, { url: receiver.url, events: ["*"] });

    await t.step("test reports a failure without counting it", async () => {
      receiver.answer(502);
      const r = await body<{ delivered: boolean; status_code: number; response_excerpt: string }>(
        await ctx.request(`/api/v1/webhooks/${hook.id}/test`, { method: "POST", token: owner.token }),
      );
      assert.deepEqual([r.delivered, r.status_code, r.response_excerpt], [false, 502, "answer 502"]);
      const got = await body<{ failing_since: string | null }>(
        await ctx.request(`/api/v1/webhooks/${hook.id}`, { token: owner.token }),
      );
      assert.equal(got.failing_since, null);
      receiver.answer(200);
    });

    let eventId = "";
    await t.step("retry sends the same event again, now", async () => {
      await customerWrites(ctx, owner.token, number.id, customerPhone(), "Oi");
      await ctx.services.runner!.drain();
      eventId = receiver.received.at(-1)!.json.id;
      const r = await ctx.request(`/api/v1/webhooks/${hook.id}/retry`, {
        method: "POST",
        token: owner.token,
        json: { event_id: eventId },
      });
      const report = await body<{ delivered: boolean; attempt: number }>(r);
      assert.equal(r.status, 200);
      assert.deepEqual([report.delivered, report.attempt], [true, 2]);
      const last = receiver.received.at(-1)!;
      assert.equal(last.json.id, eventId);
      assert.equal(last.headers["x-pytake-attempt"], "2");
      const unknown = await ctx.request(`/api/v1/webhooks/${hook.id}/retry`, {
        method: "POST",
        token: owner.token,
        json: { event_id: crypto.randomUUID() },
      });
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    });

    await t.step("another tenant's endpoint and events are not found", async () => {
      for (
        const [path, init] of [
          [`/api/v1/webhooks/${theirs.id}`, {}],
          [`/api/v1/webhooks/${theirs.id}/logs`, {}],
          [`/api/v1/webhooks/${theirs.id}/test`, { method: "POST" }],
          [`/api/v1/webhooks/${theirs.id}/retry`, { method: "POST", json: { event_id: eventId } }],
        ] as const
      ) {
        const res = await ctx.request(path, { ...init, token: owner.token });
        assert.equal(res.status, 404, path);
        await res.body?.cancel();
      }
      const crossed = await ctx.request(`/api/v1/webhooks/${hook.id}/retry`, {
        method: "POST",
        token: other.token,
        json: { event_id: eventId },
      });
      assert.equal(crossed.status, 404);
      await crossed.body?.cancel();
    });

    await t.step("a delivery whose job was lost is queued again by the sweep", async () => {
      const before = receiver.received.length;
      await ctx.services.database.db.delete(jobs).where(eq(jobs.name, "webhooks.deliver"));
      const jobsPort = ctx.services.jobs as { enqueueMany: JobQueue["enqueueMany"] };
      const realEnqueueMany = jobsPort.enqueueMany.bind(ctx.services.jobs);
      // Queueing fails when the event happens, as QStash down would: the deliveries are
      // committed, publishing their jobs fails…
      jobsPort.enqueueMany = async (specs, opts) => {
        if (!specs.some((j) => j.name === "webhooks.deliver")) return await realEnqueueMany(specs, opts);
        if (opts?.with) await atomicList(ctx.services.database, opts.with);
        throw new Error("queue down");
      };
      await customerWrites(ctx, owner.token, number.id, customerPhone(), "Fila fora do ar");
      await ctx.settle();
      jobsPort.enqueueMany = realEnqueueMany;
      await ctx.services.runner!.drain();
      assert.equal(receiver.received.length, before, "not sent yet");
      // …and the sweep, a few minutes later, finds the delivery and queues it.
      ctx.clock.advance(5 * 60_000);
      assert.equal(await sweepDeliveries(ctx.services), 1);
      await ctx.services.runner!.drain();
      assert.equal(receiver.received.length, before + 1);
      assert.equal(
        receiver.received.at(-1)!.json.data.message && receiver.received.at(-1)!.json.event,
        "message.received",
      );
    });
  } finally {
    await receiver.close();
    await ctx.close();
  }
});
