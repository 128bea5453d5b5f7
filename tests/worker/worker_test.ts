import { strict as assert } from "node:assert";
import { Miniflare } from "miniflare";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";
import { freshPglite, TEST_ENV } from "../support/harness.ts";
import { bundleWorker } from "../support/worker-bundle.ts";

/**
 * The Worker as it would be deployed: bundled by wrangler (no code splitting), run in workerd by
 * miniflare, talking neon-http to a local stand-in of Neon's SQL endpoint.
 */
Deno.test("Worker bundle runs in workerd", async (t) => {
  const bundle = await bundleWorker();
  // deno-lint-ignore no-console
  console.log(
    `worker bundle: ${(bundle.bytes / 1024).toFixed(0)} KiB, gzip ${
      (bundle.gzipBytes / 1024).toFixed(0)
    } KiB`,
  );
  assert.ok(
    bundle.gzipBytes < 1024 * 1024,
    `bundle over the 1 MiB budget: ${bundle.gzipBytes} bytes gzipped`,
  );

  const pg = await freshPglite();
  const neon = await startNeonHttpStandIn(pgliteBackend(pg.client));
  const mf = new Miniflare({
    // Listed explicitly: miniflare otherwise walks the bundle's imports and refuses the computed
    // `import(\`node:${m}\`)` in @upstash/qstash's dev-server code, which production never reaches.
    modules: [{ type: "ESModule", path: bundle.path, contents: await Deno.readTextFile(bundle.path) }],
    modulesRoot: bundle.path.slice(0, bundle.path.lastIndexOf("/")),
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { ROOMS: "TenantRoom" },
    bindings: {
      ...TEST_ENV,
      DATABASE_URL: "postgres://app:secret@ep-test-123.us-east-2.aws.neon.tech/neondb",
      NEON_FETCH_ENDPOINT: neon.url,
      LOG_LEVEL: "error",
    },
  });
  try {
    await t.step("health answers from the bundle", async () => {
      const res = await mf.dispatchFetch("http://worker.test/observability/health");
      const b = await res.json() as Record<string, unknown>;
      assert.equal(res.status, 200);
      assert.equal(b.status, "ok");
      assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
    });

    await t.step("the OpenAPI document is complete in the bundle", async () => {
      const res = await mf.dispatchFetch("http://worker.test/openapi.json");
      const doc = await res.json() as { openapi: string; paths: Record<string, unknown> };
      assert.equal(doc.openapi, "3.1.0");
      assert.ok("/observability/metrics" in doc.paths);
    });

    await t.step("a database round trip over neon-http reaches the stand-in", async () => {
      const before = neon.requests.length;
      const res = await mf.dispatchFetch("http://worker.test/observability/ready");
      const b = await res.json() as { checks: { database: { status: string; driver: string } } };
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.deepEqual([b.checks.database.status, b.checks.database.driver], ["up", "neon-http"]);
      assert.ok(neon.requests.length > before, "the worker's query went through the Neon HTTP protocol");
      assert.ok(neon.requests.at(-1)!.headers["neon-connection-string"].includes("neon.tech"));
    });

    await t.step(
      "register and sign in: batches, PBKDF2 and JWTs in workerd, rows in the database",
      async () => {
        const email = `worker.${Date.now()}@example.com`;
        const reg = await mf.dispatchFetch("http://worker.test/api/v1/auth/register", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "Senha-forte-1", name: "Worker", tenant_name: "Edge ISP" }),
        });
        const registered = await reg.json() as { user: { id: string } };
        assert.equal(reg.status, 201, JSON.stringify(registered));
        const rows = await pg.client.query<{ email: string }>("select email from users where id = $1", [
          registered.user.id,
        ]);
        assert.deepEqual(rows.rows, [{ email }], "the batch reached the database behind the stand-in");
        const login = await mf.dispatchFetch("http://worker.test/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "Senha-forte-1" }),
        });
        const { token } = await login.json() as { token: string };
        assert.equal(login.status, 200);
        const me = await mf.dispatchFetch("http://worker.test/api/v1/auth/me", {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(me.status, 200);
        assert.equal((await me.json() as { email: string }).email, email);
      },
    );

    await t.step("problems come out of the bundle unchanged", async () => {
      const res = await mf.dispatchFetch("http://worker.test/observability/metrics");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      await res.body?.cancel();
    });
  } finally {
    await mf.dispose();
    await neon.close();
    await pg.close();
  }
});
