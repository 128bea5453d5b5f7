import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { body, createTestContext } from "../support/harness.ts";

const SCRAPE = "scrape-token-for-tests";

Deno.test("observability: probes are public, the rest needs a token", async (t) => {
  const ctx = await createTestContext();
  try {
    await t.step("health tells status and version", async () => {
      const res = await ctx.request("/observability/health");
      const b = await body(res);
      assert.equal(res.status, 200);
      assert.equal(b.status, "ok");
      assert.equal(b.version, ctx.services.config.version);
      assert.equal(b.environment, "test");
    });

    await t.step("ready checks the database and the KV", async () => {
      const res = await ctx.request("/observability/ready");
      const b = await body<{ status: string; checks: Record<string, { status: string; driver: string }> }>(
        res,
      );
      assert.equal(res.status, 200);
      assert.equal(b.checks.database.status, "up");
      assert.equal(b.checks.database.driver, ctx.services.database.kind);
      assert.equal(b.checks.kv.status, "up");
      assert.equal(b.checks.kv.driver, "memory");
    });

    for (const path of ["/observability/metrics", "/observability/traces", "/observability/logs"]) {
      await t.step(`${path}: 401 without a token, 401 with a wrong one`, async () => {
        const none = await ctx.request(path);
        assert.equal(none.status, 401);
        assert.equal((await body(none)).code, "unauthorized");
        assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
        const wrong = await ctx.request(path, { token: "not-the-scrape-token" });
        assert.equal(wrong.status, 401);
        await wrong.body?.cancel();
      });
    }
  } finally {
    await ctx.close();
  }
});

Deno.test("observability: metrics in Prometheus text format", async () => {
  const ctx = await createTestContext({
    extend: (app) => app.get("/test/fail", () => Promise.reject(new Error("boom"))),
  });
  try {
    for (let i = 0; i < 3; i++) await (await ctx.request("/observability/live")).body?.cancel();
    await (await ctx.request("/test/fail")).body?.cancel();
    await (await ctx.request("/no/such/route/123")).body?.cancel();
    ctx.services.jobRegistry.register("test.ok", z.object({}), () => {});
    await ctx.services.jobs.enqueue("test.ok", {});
    await ctx.services.runner!.drain();

    const res = await ctx.request("/observability/metrics", { token: SCRAPE });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.match(text, /# TYPE pytake_http_requests_total counter/);
    assert.match(
      text,
      /pytake_http_requests_total\{method="GET",route="\/observability\/live",status="200"\} 3/,
    );
    assert.match(text, /pytake_http_requests_total\{method="GET",route="\/test\/fail",status="500"\} 1/);
    // Unknown paths share one label, so a scanner cannot blow up the series count.
    assert.match(text, /pytake_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    assert.match(text, /# TYPE pytake_http_request_duration_seconds histogram/);
    assert.match(
      text,
      /pytake_http_request_duration_seconds_bucket\{method="GET",route="\/observability\/live",le="\+Inf"\} 3/,
    );
    assert.match(text, /pytake_jobs_run_total\{name="test.ok",outcome="completed"\} 1/);
    assert.match(text, /# TYPE pytake_events_published_total counter/);
  } finally {
    await ctx.close();
  }
});

Deno.test("observability: traces continue the caller's W3C trace", async () => {
  const ctx = await createTestContext();
  try {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parent = "00f067aa0ba902b7";
    const res = await ctx.request("/observability/health", {
      headers: { traceparent: `00-${traceId}-${parent}-01` },
    });
    await res.body?.cancel();
    const [, tid, spanId] = res.headers.get("traceparent")!.split("-");
    assert.equal(tid, traceId);
    assert.notEqual(spanId, parent);

    const invalid = await ctx.request("/observability/health", {
      headers: { traceparent: `00-${"0".repeat(32)}-${parent}-01` },
    });
    await invalid.body?.cancel();
    assert.notEqual(invalid.headers.get("traceparent")!.split("-")[1], "0".repeat(32));

    const list = await body<{ data: Record<string, unknown>[]; meta: { total: number } }>(
      await ctx.request(`/observability/traces?trace_id=${traceId}`, { token: SCRAPE }),
    );
    assert.equal(list.meta.total, 1);
    const span = list.data[0];
    assert.equal(span.span_id, spanId);
    assert.equal(span.parent_span_id, parent);
    assert.equal(span.name, "GET /observability/health");
    assert.equal((span.attributes as Record<string, unknown>)["http.response.status_code"], 200);

    const paged = await body<{ data: unknown[]; meta: { page: number; limit: number; total: number } }>(
      await ctx.request("/observability/traces?limit=1&page=2", { token: SCRAPE }),
    );
    assert.equal(paged.data.length, 1);
    assert.deepEqual({ page: paged.meta.page, limit: paged.meta.limit }, { page: 2, limit: 1 });
    assert.ok(paged.meta.total >= 3);
  } finally {
    await ctx.close();
  }
});

Deno.test("observability: logs filtered by level and service, bounded", async () => {
  const ctx = await createTestContext();
  try {
    const log = ctx.services.obs.log;
    log.info("mail queued", { service: "mail" });
    log.warn("slow job", { service: "jobs" });
    log.error("job failed for good", { service: "jobs" });
    await (await ctx.request("/observability/live")).body?.cancel();

    type Lines = { data: { level: string; service: string; msg: string }[]; meta: { total: number } };
    const jobs = await body<Lines>(await ctx.request("/observability/logs?service=jobs", { token: SCRAPE }));
    assert.deepEqual(jobs.data.map((l) => l.msg), ["job failed for good", "slow job"]);

    const errors = await body<Lines>(await ctx.request("/observability/logs?level=error", { token: SCRAPE }));
    assert.ok(errors.data.length >= 1 && errors.data.every((l) => l.level === "error"));

    const http = await body<Lines>(await ctx.request("/observability/logs?service=http", { token: SCRAPE }));
    assert.ok(http.data.some((l) => l.msg === "request"));

    for (let i = 0; i < 1500; i++) log.debug("noise", { service: "noise" });
    const noise = await body<Lines>(
      await ctx.request("/observability/logs?service=noise&limit=5", { token: SCRAPE }),
    );
    assert.ok(noise.meta.total <= 1000, `buffer bounded, got ${noise.meta.total}`);
  } finally {
    await ctx.close();
  }
});

Deno.test("observability: ready says which part is down, and requests answer 503", async () => {
  const ctx = await createTestContext({
    extend: (app) =>
      app.get("/test/db", async (c) => {
        await c.get("services").database.ping();
        return c.json({ ok: true });
      }),
  });
  await ctx.services.database.close();
  try {
    const res = await ctx.request("/observability/ready");
    const b = await body<{ code: string; checks: Record<string, { status: string; error?: string }> }>(res);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal(res.headers.get("retry-after"), "5");
    assert.equal(b.code, "service_unavailable");
    assert.equal(b.checks.database.status, "down");
    assert.equal(b.checks.kv.status, "up");

    const req = await ctx.request("/test/db");
    assert.equal(req.status, 503);
    assert.equal((await body(req)).code, "service_unavailable");
  } finally {
    await ctx.close();
  }
});
