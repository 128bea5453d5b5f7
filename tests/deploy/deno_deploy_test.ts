import { strict as assert } from "node:assert";
import { inboundTextPayload, startGraphStandIn } from "../support/graph-standin.ts";
import { freshPglite, TEST_ENV } from "../support/harness.ts";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { startQStashStandIn } from "../support/qstash-standin.ts";
import { pgliteBackend } from "../support/sql-backend.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";
import { pollUntil } from "../support/worker-bundle.ts";

/**
 * The Deno entry as Deno Deploy runs it: a fresh process with `DENO_DEPLOYMENT_ID` set, no
 * writable disk (`--deny-write`: any write is a PermissionDenied, so an assumption of a disk
 * fails here as it would there), production config, Neon, Upstash and QStash.
 */
const root = new URL("../../", import.meta.url).pathname;
const entry = `${root}src/entries/deno.ts`;
const PUBLIC_BASE_URL = "https://api.pytake-deploy.test";

function spawnEntry(env: Record<string, string>, port: number) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", "--deny-write", entry],
    cwd: root,
    // Only what the platform would give: nothing inherited from the test's environment.
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      PORT: String(port),
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  });
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

const SECRETS = { JWT_SECRET: TEST_ENV.JWT_SECRET!, ENCRYPTION_KEY: TEST_ENV.ENCRYPTION_KEY! };

Deno.test("Deno Deploy: production without a database server is refused, naming what to set", async () => {
  const out = await spawnEntry(
    { APP_ENV: "production", DENO_DEPLOYMENT_ID: "dpl-test-1", ...SECRETS },
    freePort(),
  )
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(stderr, /DATABASE_URL: production needs a database server, not the embedded PGlite/);
  assert.match(stderr, /neon\.tech/);
  assert.match(stderr, /UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN: required on Deno Deploy/);
  assert.match(stderr, /QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: required/);
  assert.doesNotMatch(stderr, /PermissionDenied|NotCapable/, "refused by the config, before touching a disk");
});

Deno.test("Deno Deploy: the entry serves on Neon, Upstash and QStash with no writable disk", async (t) => {
  const pg = await freshPglite();
  const neon = await startNeonHttpStandIn(pgliteBackend(pg.client));
  const upstash = await startUpstashStandIn({ token: "up-token", redis: "memory" });
  const graph = await startGraphStandIn();
  graph.addNumber({
    phoneNumberId: "109000000000777",
    accessToken: "EAAGdeploytoken0123",
    displayPhoneNumber: "+55 11 95555-7777",
    verifiedName: "Fibra Deploy",
  });
  const port = freePort();
  const local = `http://127.0.0.1:${port}`;
  const keys = { currentSigningKey: "sig_deploy_current", nextSigningKey: "sig_deploy_next" };
  const qstash = await startQStashStandIn({
    token: "qs-token",
    ...keys,
    route: (destination) => destination.replace(PUBLIC_BASE_URL, local),
  });
  const child = spawnEntry({
    APP_ENV: "production",
    DENO_DEPLOYMENT_ID: "dpl-test-2",
    LOG_LEVEL: "warn",
    PUBLIC_BASE_URL,
    ...SECRETS,
    DATABASE_URL: "postgres://app:secret@ep-deploy-7.sa-east-1.aws.neon.tech/neondb",
    NEON_FETCH_ENDPOINT: neon.url,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: "up-token",
    QSTASH_URL: qstash.url,
    QSTASH_TOKEN: "qs-token",
    QSTASH_CURRENT_SIGNING_KEY: keys.currentSigningKey,
    QSTASH_NEXT_SIGNING_KEY: keys.nextSigningKey,
    WHATSAPP_GRAPH_BASE_URL: graph.url,
  }, port).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = new Response(child.stdout).text();
  const call = (path: string, init: RequestInit & { json?: unknown; token?: string } = {}) => {
    const { json, token, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
    if (token) headers.set("authorization", `Bearer ${token}`);
    return fetch(local + path, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  try {
    await pollUntil("the server to listen", async () => {
      const res = await call("/observability/live").catch(() => undefined);
      await res?.body?.cancel();
      return res?.ok ? true : undefined;
    }, { timeoutMs: 60_000 });

    await t.step("ready names Neon over HTTP and Upstash", async () => {
      const res = await call("/observability/ready");
      const b = await res.json() as { checks: Record<string, { driver: string; status: string }> };
      assert.deepEqual([b.checks.database.driver, b.checks.kv.driver], ["neon-http", "upstash"]);
    });

    let token = "";
    await t.step("sign-up, sign-in and logout with sessions in Upstash", async () => {
      const reg = await call("/api/v1/auth/register", {
        method: "POST",
        json: {
          email: "deploy@fibra.com.br",
          password: "Senha-forte-1",
          name: "Deploy",
          tenant_name: "Fibra Deploy",
        },
      });
      assert.equal(reg.status, 201, await reg.clone().text());
      token = (await reg.json() as { token: string }).token;
      const login = await call("/api/v1/auth/login", {
        method: "POST",
        json: { email: "deploy@fibra.com.br", password: "Senha-forte-1" },
      });
      const other = (await login.json() as { token: string }).token;
      assert.equal((await call("/api/v1/auth/logout", { method: "POST", token: other })).status, 204);
      const denied = await call("/api/v1/auth/me", { token: other });
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      assert.ok(upstash.requests.some((r) => JSON.stringify(r.body).includes("pytake:auth:deny:")));
    });

    await t.step(
      "an inbound webhook processed through QStash's callback, then a send through Meta",
      async () => {
        const number = await call("/api/v1/whatsapp-configs", {
          method: "POST",
          token,
          json: {
            api_type: "official",
            name: "Atendimento",
            phone_number: "+5511955557777",
            phone_number_id: "109000000000777",
            access_token: "EAAGdeploytoken0123",
            app_secret: "deploy-app-secret-0123",
          },
        });
        assert.equal(number.status, 201, await number.clone().text());
        await number.body?.cancel();
        const res = await graph.deliverWebhook(
          `${local}/api/v1/whatsapp/webhook`,
          inboundTextPayload({
            wabaId: "200000000000777",
            phoneNumberId: "109000000000777",
            displayPhoneNumber: "5511955557777",
            from: "5511987657777",
            name: "Cliente Deploy",
            text: "Oi",
          }),
          "deploy-app-secret-0123",
        );
        assert.equal(res.status, 200);
        await res.body?.cancel();
        await pollUntil("the webhook processed by its QStash callback", async () => {
          const rows = await pg.client.query<{ status: string }>("select status from webhook_events");
          return rows.rows[0]?.status === "processed" ? true : undefined;
        });
        // Processed inside the callback, which answers QStash a moment later.
        await pollUntil("QStash's callback answered 200", () =>
          Promise.resolve(
            qstash.deliveries.find((d) =>
              d.url === `${PUBLIC_BASE_URL}/internal/jobs/whatsapp.process_webhook` && d.status === 200
            ),
          ));
        const sent = await call("/api/v1/whatsapp/send", {
          method: "POST",
          token,
          json: { to: "+5511987657777", message: "Olá! Como posso ajudar?" },
        });
        const b = await sent.json() as { outcome: string };
        assert.equal(sent.status, 201, JSON.stringify(b));
        assert.equal(b.outcome, "sent");
        assert.equal(graph.sent.length, 1);
        const jobs = await pg.client.query("select 1 from jobs");
        assert.equal(jobs.rows.length, 0, "jobs are QStash messages, not rows");
      },
    );
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    const [err] = await Promise.all([stderr, stdout]);
    assert.doesNotMatch(err, /PermissionDenied|NotCapable/, `a write was attempted:\n${err}`);
    assert.ok(status.code !== undefined);
    await qstash.close();
    await graph.close();
    await upstash.close();
    await neon.close();
    await pg.close();
  }
});
