import { strict as assert } from "node:assert";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";
import { freshPglite, TEST_ENV } from "../support/harness.ts";
import { bundleWorker, pollUntil, startWorker } from "../support/worker-bundle.ts";
import { rawHandshake, WsClient } from "../support/ws-client.ts";
import { SCALAR_SCRIPT_PATH } from "../../src/http/docs-page.ts";
import { PackageAssets } from "../../src/platform/assets/package-assets.ts";

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
  const worker = await startWorker(bundle, {
    bindings: {
      ...TEST_ENV,
      DATABASE_URL: "postgres://app:secret@ep-test-123.us-east-2.aws.neon.tech/neondb",
      NEON_FETCH_ENDPOINT: neon.url,
      LOG_LEVEL: "error",
    },
  });
  const mf = worker.mf;
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

    await t.step("/docs and the reference UI's bundle from static assets, not a CDN", async () => {
      const page = await mf.dispatchFetch("http://worker.test/docs");
      const html = await page.text();
      assert.equal(page.status, 200);
      const script = html.match(/<script src="([^"]+)"/)?.[1];
      assert.equal(script, SCALAR_SCRIPT_PATH);
      assert.doesNotMatch(html, /https?:\/\//, "the page names no other origin");
      const js = await mf.dispatchFetch(`http://worker.test${script}`);
      const bytes = new Uint8Array(await js.arrayBuffer());
      assert.equal(js.status, 200);
      assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.match(js.headers.get("content-type")!, /^text\/javascript/);
      const original = await new PackageAssets().get("api-reference/standalone.js");
      assert.equal(bytes.length, original!.length, "the package's bytes, whole");
      const direct = await mf.dispatchFetch("http://worker.test/api-reference/standalone.js");
      assert.equal(direct.status, 404, "only the Worker serves the assets, at its versioned path");
      await direct.body?.cancel();
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

    await t.step(
      "background jobs finish on Workers: sandbox receipts run by a later request and by the cron trigger",
      async () => {
        const reg = await worker.request("/api/v1/auth/register", {
          method: "POST",
          json: {
            email: `jobs.${crypto.randomUUID()}@example.com`,
            password: "Senha-forte-1",
            name: "Worker Jobs",
            tenant_name: "Edge ISP Jobs",
          },
        });
        assert.equal(reg.status, 201);
        const { token } = await reg.json() as { token: string };
        const number = await worker.request("/api/v1/whatsapp-configs", {
          method: "POST",
          token,
          json: { api_type: "sandbox", name: "Sandbox", phone_number: "+5511955551111" },
        });
        assert.equal(number.status, 201, await number.clone().text());
        const { id: configId } = await number.json() as { id: string };
        const customer = "+5511987650001";
        const inbound = await worker.request(`/api/v1/whatsapp-configs/${configId}/simulate-inbound`, {
          method: "POST",
          token,
          json: { from: customer, text: "Minha internet caiu", name: "Cliente" },
        });
        assert.equal(inbound.status, 201, await inbound.clone().text());
        await inbound.body?.cancel();
        // The send enqueues its receipts as jobs: delivered due in 1 s, read in 3 s.
        const sent = await worker.request("/api/v1/whatsapp/send", {
          method: "POST",
          token,
          json: { to: customer, message: "Vamos verificar, um momento." },
        });
        const { message } = await sent.json() as { message: { id: string; status: string } };
        assert.equal(sent.status, 201);
        assert.equal(message.status, "sent");
        const status = async () => {
          const res = await worker.request(`/api/v1/whatsapp/messages/${message.id}/status`, { token });
          assert.equal(res.status, 200);
          return await res.json() as { status: string; timeline: { status: string }[] };
        };

        // Each poll is a request; the drain after one of them runs the delivered receipt once it
        // is due, and a later one sees it.
        await pollUntil("the delivered receipt", async () => {
          const s = await status();
          return s.status === "delivered" ? s : undefined;
        });

        // No request from here on: the read receipt falls due, and the cron trigger runs it.
        const readDue = () =>
          pg.client.query<{ status: string }>(
            `select status from jobs where name = 'whatsapp.sandbox_receipt'
               and payload->>'status' = 'read' and run_at <= now()`,
          );
        await pollUntil("the read receipt to fall due", async () => (await readDue()).rows[0]);
        assert.equal((await readDue()).rows[0].status, "pending", "nothing ran it before the cron");
        await worker.scheduled();
        const receipts = await pg.client.query<
          { status: string; attempts: number; payload: { status: string } }
        >(
          "select status, attempts, payload from jobs where name = 'whatsapp.sandbox_receipt' order by run_at",
        );
        assert.deepEqual(
          receipts.rows.map((r) => [r.payload.status, r.status, r.attempts]),
          [["sent", "completed", 1], ["delivered", "completed", 1], ["read", "completed", 1]],
          "every claimed job ran to its recorded outcome, none left running",
        );

        const final = await status();
        assert.equal(final.status, "read");
        assert.deepEqual(final.timeline.map((e) => e.status), ["sent", "delivered", "read"]);
      },
    );
    await t.step("the AI answers and streams (text/event-stream) from the bundle", async () => {
      const reg = await mf.dispatchFetch("http://worker.test/api/v1/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          email: `ai.${Date.now()}@example.com`,
          password: "Senha-forte-1",
          name: "AI",
          tenant_name: "Edge AI ISP",
        }),
      });
      const { token } = await reg.json() as { token: string };
      const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
      const intent = await mf.dispatchFetch("http://worker.test/api/v1/ai/classify-intent", {
        method: "POST",
        headers,
        body: JSON.stringify({ message: "net caiu" }),
      });
      assert.equal(intent.status, 200);
      assert.equal((await intent.json() as { intent: string }).intent, "sem_conexao");
      const stream = await mf.dispatchFetch("http://worker.test/api/v1/ai/chat", {
        method: "POST",
        headers,
        body: JSON.stringify({ message: "quero a segunda via", stream: true }),
      });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
      const text = await stream.text();
      assert.match(text, /event: delta/);
      assert.match(text, /event: done/);
    });

    await t.step("WebSockets through the tenant's Durable Object room", async () => {
      const base = (await mf.ready).toString().replace(/\/$/, "");
      const ws = base.replace(/^http/, "ws") + "/ws";
      const signUp = async (tenant: string) => {
        const res = await mf.dispatchFetch("http://worker.test/api/v1/auth/register", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            email: `ws.${crypto.randomUUID()}@example.com`,
            password: "Senha-forte-1",
            name: "Worker WS",
            tenant_name: tenant,
          }),
        });
        assert.equal(res.status, 201);
        const b = await res.json() as { token: string; user: { id: string } };
        return { token: b.token, userId: b.user.id };
      };
      /** Invites a user into the inviter's tenant, accepts the invitation (from the mail outbox) and signs in. */
      const invite = async (token: string, role: string) => {
        const email = `ws.${role}.${crypto.randomUUID()}@example.com`;
        const res = await mf.dispatchFetch("http://worker.test/api/v1/users", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ email, name: `Worker ${role}`, role }),
        });
        assert.equal(res.status, 201);
        const { id } = await res.json() as { id: string };
        const mail = await pg.client.query<{ text_body: string }>(
          "select text_body from mail_outbox where to_address = $1 order by created_at desc limit 1",
          [email],
        );
        const accept = await mf.dispatchFetch("http://worker.test/api/v1/auth/reset-password", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            token: mail.rows[0].text_body.match(/[?&]token=([A-Za-z0-9_-]+)/)![1],
            new_password: "Senha-forte-1",
          }),
        });
        assert.equal(accept.status, 200);
        await accept.body?.cancel();
        const login = await mf.dispatchFetch("http://worker.test/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "Senha-forte-1" }),
        });
        return { token: (await login.json() as { token: string }).token, userId: id };
      };
      const a = await signUp("Edge ISP A");
      const b = await signUp("Edge ISP B");

      const refused = await rawHandshake(base, "/ws", {
        "sec-websocket-protocol": "pytake, bearer.not-a-jwt",
      });
      assert.equal(refused.statusLine.split(" ")[1], "401", "a bad token never reaches the room");

      const sa = await WsClient.open(ws, ["pytake", `bearer.${a.token}`]);
      const sb = await WsClient.open(`${ws}?token=${b.token}`);
      try {
        assert.equal(sa.protocol, "pytake");
        assert.equal(sa.welcome.user_id, a.userId);
        assert.deepEqual(await sa.ask({ type: "subscribe", channels: ["contacts", "agents", "nope"] }), {
          type: "subscribed",
          channels: ["contacts", "agents"],
          denied: ["nope"],
        });
        assert.equal(
          (await sb.ask({ type: "subscribe", channels: ["contacts", "agents"] })).type,
          "subscribed",
        );
        assert.deepEqual(await sa.ask({ type: "ping" }), { type: "pong" });
        assert.equal((await sa.ask("{oops")).code, "bad_frame");
        assert.equal((await sa.ask({ type: "dance" })).code, "unknown_type");

        const created = await mf.dispatchFetch("http://worker.test/api/v1/contacts", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${a.token}` },
          body: JSON.stringify({ phone: "+5511987654321", name: "Cliente da Borda" }),
        });
        assert.equal(created.status, 201, await created.text());
        const event = await sa.next();
        assert.deepEqual([event.type, event.channel, event.event], ["event", "contacts", "contact.created"]);
        assert.equal((event.data as { contact: { phone: string } }).contact.phone, "+5511987654321");
        assert.deepEqual(await sb.events(), [], "the other tenant's room got nothing");

        // Presence: an agent of tenant A comes online and leaves; tenant B never hears of it.
        const agent = await invite(a.token, "agent");
        const agentSocket = await WsClient.open(`${ws}?token=${agent.token}`);
        const online = await sa.next();
        assert.deepEqual([online.event, online.data], ["agent.online", { user_id: agent.userId }]);
        const closed = await agentSocket.close();
        assert.equal(closed.code, 1000, "the room reciprocates the close handshake (no 1006)");
        const offline = await sa.next();
        assert.deepEqual([offline.event, offline.data], ["agent.offline", { user_id: agent.userId }]);
        assert.deepEqual(await sb.events(), []);
      } finally {
        await sb.close();
        const last = await sa.close();
        assert.equal(last.code, 1000);
      }
    });

    await t.step("problems come out of the bundle unchanged", async () => {
      const res = await mf.dispatchFetch("http://worker.test/observability/metrics");
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      await res.body?.cancel();
    });
  } finally {
    await worker.close();
    await neon.close();
    await pg.close();
  }
});
