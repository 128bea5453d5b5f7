import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { body, createTestContext } from "../support/harness.ts";

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: { path: string; message: string }[];
};

const SCRAPE = "scrape-token-for-tests";

async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const p = JSON.parse(text) as Problem;
  assert.equal(p.code, code);
  assert.equal(p.status, status);
  assert.equal(p.type, `https://pytake.dev/problems/${code}`);
  assert.ok(p.title.length > 0 && p.detail.length > 0);
  assert.equal(p.request_id, res.headers.get("x-request-id"), "problem carries the response's request id");
  return p;
}

Deno.test("HTTP edge", async (t) => {
  const ctx = await createTestContext({
    extend: (app) =>
      app.get("/test/boom", () => {
        throw new Error("database password is hunter2");
      }),
  });
  try {
    await t.step("every response has a request id and a traceparent", async () => {
      const res = await ctx.request("/observability/live");
      assert.equal(res.status, 200);
      assert.deepEqual(await body(res), { status: "alive" });
      assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
      assert.match(res.headers.get("traceparent")!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });

    await t.step("a plain caller request id is kept, a hostile one replaced", async () => {
      const kept = await ctx.request("/observability/live", {
        headers: { "x-request-id": "client-req-12345" },
      });
      assert.equal(kept.headers.get("x-request-id"), "client-req-12345");
      await kept.body?.cancel();
      const replaced = await ctx.request("/observability/live", {
        headers: { "x-request-id": "<script>alert(1)</script>" },
      });
      assert.notEqual(replaced.headers.get("x-request-id"), "<script>alert(1)</script>");
      assert.match(replaced.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
      await replaced.body?.cancel();
    });

    await t.step("unknown route: 404 problem", async () => {
      const p = await expectProblem(await ctx.request("/api/v1/nothing-here"), 404, "not_found");
      assert.match(p.detail, /GET \/api\/v1\/nothing-here/);
    });

    await t.step("known path, wrong method: 405 with Allow", async () => {
      const res = await ctx.request("/observability/health", { method: "DELETE" });
      assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
      await expectProblem(res, 405, "method_not_allowed");
    });

    await t.step("job callback without a signature: 401 before the body is parsed", async () => {
      const res = await ctx.request("/internal/jobs/anything", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      });
      await expectProblem(res, 401, "invalid_signature");
    });

    await t.step("invalid query values: 422 naming each field", async () => {
      const res = await ctx.request("/observability/logs?limit=1000&page=0&level=loud", { token: SCRAPE });
      const p = await expectProblem(res, 422, "validation_failed");
      const paths = p.errors!.map((e) => e.path).sort();
      assert.deepEqual(paths, ["query.level", "query.limit", "query.page"]);
      assert.ok(p.errors!.every((e) => e.message.length > 0));
    });

    await t.step("oversized body: 413 before anything reads it", async () => {
      const big = "x".repeat(ctx.services.config.maxBodyBytes + 1);
      const res = await ctx.request("/internal/jobs/anything", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(big.length) },
        body: big,
      });
      await expectProblem(res, 413, "payload_too_large");
    });

    await t.step("unexpected error: 500 without internals, logged with the request id", async () => {
      const res = await ctx.request("/test/boom");
      const text = await res.clone().text();
      const p = await expectProblem(res, 500, "internal_error");
      assert.ok(!text.includes("hunter2") && !text.includes("stack"), text);
      const logged = ctx.services.obs.logs.query({ level: "error", limit: 10 });
      assert.ok(logged.some((l) => l.msg === "unhandled error" && l.request_id === p.request_id));
    });

    await t.step("CORS preflight answers with the allowed headers", async () => {
      const res = await ctx.request("/api/v1/contacts", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,idempotency-key",
        },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.match(res.headers.get("access-control-allow-headers")!, /Idempotency-Key/);
    });

    await t.step("secure headers on API answers", async () => {
      const res = await ctx.request("/observability/health");
      await res.body?.cancel();
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
    });

    await t.step("OpenAPI 3.1 document and the interactive reference", async () => {
      const doc = await body<{
        openapi: string;
        paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: object }>>;
        components: { securitySchemes: object };
      }>(await ctx.request("/openapi.json"));
      assert.equal(doc.openapi, "3.1.0");
      const live = doc.paths["/observability/live"].get;
      assert.equal(live.operationId, "getLiveness");
      assert.deepEqual(live.tags, ["Observability"]);
      const metrics = doc.paths["/observability/metrics"].get as unknown as Record<string, unknown>;
      assert.deepEqual(metrics["x-pytake-access"], { permission: "read:observability" });
      assert.deepEqual(metrics.security, [{ bearerAuth: [] }]);
      assert.ok("401" in (metrics.responses as object) && "403" in (metrics.responses as object));
      assert.ok("bearerAuth" in doc.components.securitySchemes);

      const docs = await ctx.request("/docs");
      const html = await docs.text();
      assert.equal(docs.status, 200);
      assert.match(html, /data-configuration='\{"url":"\/openapi.json"/);
      assert.match(
        docs.headers.get("content-security-policy")!,
        /script-src 'self' 'unsafe-inline';/,
      );
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("HTTP edge: malformed JSON and wrong content type on a JSON route", async () => {
  const route = defineRoute({ public: true }, {
    method: "post",
    path: "/test/echo",
    tags: ["Test"],
    operationId: "echo",
    summary: "echo",
    request: { body: jsonBody(z.object({ name: z.string().min(2), age: z.number().int() })) },
    responses: { 200: jsonContent(z.object({ name: z.string() }), "ok") },
  });
  const ctx = await createTestContext({
    extend: (app) => app.openapi(route, (c) => c.json({ name: c.req.valid("json").name }, 200)),
  });
  try {
    const malformed = await ctx.request("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": "ab",',
    });
    await expectProblem(malformed, 400, "malformed_json");

    const wrongType = await ctx.request("/test/echo", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=ab",
    });
    await expectProblem(wrongType, 415, "unsupported_media_type");

    const invalid = await ctx.request("/test/echo", { method: "POST", json: { name: "a", age: "x" } });
    const p = await expectProblem(invalid, 422, "validation_failed");
    assert.deepEqual(p.errors!.map((e) => e.path).sort(), ["body.age", "body.name"]);

    const good = await ctx.request("/test/echo", { method: "POST", json: { name: "Ana", age: 30 } });
    assert.deepEqual(await body(good), { name: "Ana" });
  } finally {
    await ctx.close();
  }
});
