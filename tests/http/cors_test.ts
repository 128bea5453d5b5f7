import { strict as assert } from "node:assert";
import { createTestContext } from "../support/harness.ts";

/**
 * CORS answers go to cross-origin browser requests, the only ones that carry `Origin` and read
 * them; every answer keeps its request id, trace and security headers (src/http/edge-headers.ts).
 */
Deno.test("CORS headers answer a browser's cross-origin request, and only that", async () => {
  const any = await createTestContext();
  const listed = await createTestContext({ env: { CORS_ORIGINS: "https://app.example.com" } });
  try {
    const fromBrowser = await any.request("/observability/live", {
      headers: { origin: "https://x.example" },
    });
    await fromBrowser.body?.cancel();
    assert.equal(fromBrowser.headers.get("access-control-allow-origin"), "*");
    assert.match(fromBrowser.headers.get("access-control-expose-headers")!, /X-Request-Id/);

    const fromServer = await any.request("/observability/live");
    await fromServer.body?.cancel();
    assert.equal(fromServer.headers.get("access-control-allow-origin"), null);
    assert.equal(fromServer.headers.get("access-control-expose-headers"), null);
    for (const h of ["x-request-id", "traceparent", "x-content-type-options", "content-security-policy"]) {
      assert.ok(fromServer.headers.get(h), `${h} on every answer`);
    }

    const allowed = await listed.request("/observability/live", {
      headers: { origin: "https://app.example.com" },
    });
    await allowed.body?.cancel();
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.equal(allowed.headers.get("vary"), "Origin");
    const other = await listed.request("/observability/live", {
      headers: { origin: "https://evil.example" },
    });
    await other.body?.cancel();
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    // The answer depends on `Origin`, so caches must key on it even when none was sent.
    const none = await listed.request("/observability/live");
    await none.body?.cancel();
    assert.equal(none.headers.get("vary"), "Origin");
  } finally {
    await any.close();
    await listed.close();
  }
});

Deno.test("a request's trace: its id and the span come from the request id", async () => {
  const ctx = await createTestContext();
  try {
    const res = await ctx.request("/observability/live");
    await res.body?.cancel();
    const id = res.headers.get("x-request-id")!.replaceAll("-", "");
    const [, traceId, spanId] = res.headers.get("traceparent")!.split("-");
    assert.equal(traceId, id);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(spanId, "0".repeat(16));
    const continued = await ctx.request("/observability/live", {
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    await continued.body?.cancel();
    assert.match(
      continued.headers.get("traceparent")!,
      /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
    );
    const [span] = ctx.services.obs.spans.query({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", limit: 1 });
    assert.equal(span.parent_span_id, "00f067aa0ba902b7");
    assert.equal(span.attributes["http.route"], "/observability/live");
    assert.equal(span.name, "GET /observability/live");
  } finally {
    await ctx.close();
  }
});
