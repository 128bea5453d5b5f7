import { strict as assert } from "node:assert";
import { inboundTextPayload, statusPayload } from "../support/graph-standin.ts";
import { PRODUCTION, startProductionTopology } from "../support/production-topology.ts";
import { pollUntil } from "../support/worker-bundle.ts";
import { WsClient } from "../support/ws-client.ts";

/**
 * The Worker as production runs it (tests/support/production-topology.ts): the deployed bundle in
 * workerd, `APP_ENV=production`, Neon, Upstash, QStash, Meta and a customer's endpoint at their
 * production host names. Nothing here runs on the embedded defaults: no PGlite in the Worker, no
 * in-memory KV, no `jobs` table.
 */
const PUBLIC_BASE_URL = PRODUCTION.publicBaseUrl;
const HOOK_HOST = PRODUCTION.hookHost;
const QSTASH = PRODUCTION.qstash;
const { phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA, display: DISPLAY } = PRODUCTION.meta;
const GRAPH_TOKEN = PRODUCTION.meta.accessToken;
const APP_SECRET = PRODUCTION.meta.appSecret;
const CUSTOMER = "5511987651234";

Deno.test("production topology in workerd: Neon, Upstash, QStash, the Durable Object room, Meta", async (t) => {
  const topology = await startProductionTopology({ AUTH_RATE_LIMIT_PER_MINUTE: "8" });
  const { worker, pg, neon, upstash, qstash, graph, receiver } = topology;
  const upstashSaw = (needle: string) =>
    upstash.requests.some((r) => JSON.stringify(r.body).includes(needle));
  const jobDeliveries = (name: string) =>
    qstash.deliveries.filter((d) => d.url.endsWith(`/internal/jobs/${name}`));
  const jobsRun = async (name: string) => {
    const res = await worker.request("/observability/metrics", { token: PRODUCTION.observabilityToken });
    const text = await res.text();
    return [...text.matchAll(new RegExp(`pytake_jobs_run_total\\{[^}]*name="${name}"[^}]*\\} (\\d+)`, "g"))]
      .reduce((n, m) => n + Number(m[1]), 0);
  };

  let token = "";
  let socket: WsClient | undefined;
  try {
    await t.step("ready: the database is Neon over HTTP and the KV is Upstash", async () => {
      const res = await worker.request("/observability/ready");
      const b = await res.json() as { checks: Record<string, { status: string; driver: string }> };
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.deepEqual(
        [b.checks.database.driver, b.checks.database.status, b.checks.kv.driver, b.checks.kv.status],
        ["neon-http", "up", "upstash", "up"],
      );
      assert.ok(neon.requests.length > 0 && upstash.requests.length > 0);
    });

    await t.step("sessions, the logout denylist and the auth rate limit live in Upstash", async () => {
      const reg = await worker.request("/api/v1/auth/register", {
        method: "POST",
        json: {
          email: "dona@fibraborda.com.br",
          password: "Senha-forte-1",
          name: "Dona",
          tenant_name: "Fibra Borda",
        },
      });
      assert.equal(reg.status, 201, await reg.clone().text());
      token = (await reg.json() as { token: string }).token;
      assert.ok(upstashSaw("pytake:auth:sess:"), "the session was written to Upstash");

      const login = await worker.request("/api/v1/auth/login", {
        method: "POST",
        json: { email: "dona@fibraborda.com.br", password: "Senha-forte-1" },
      });
      const second = (await login.json() as { token: string }).token;
      const logout = await worker.request("/api/v1/auth/logout", { method: "POST", token: second });
      assert.equal(logout.status, 204);
      assert.ok(upstashSaw("pytake:auth:deny:"), "the logged-out token's id is denied in Upstash");
      const me = await worker.request("/api/v1/auth/me", { token: second });
      assert.equal(me.status, 401);
      await me.body?.cancel();
      assert.equal(
        (await worker.request("/api/v1/auth/me", { token })).status,
        200,
        "the other session lives",
      );

      // Eight auth requests a minute from one address; the ninth is refused by the sliding window.
      const from = { "cf-connecting-ip": "198.51.100.77" };
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) {
        const res = await worker.request("/api/v1/auth/login", {
          method: "POST",
          headers: from,
          json: { email: `ninguem.${i}@example.com`, password: "Errada-123" },
        });
        statuses.push(res.status);
        if (i === 8) assert.ok(Number(res.headers.get("retry-after")) > 0);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [...Array(8).fill(401), 429]);
      assert.ok(upstashSaw("pytake:rl:"), "the limiter's script ran in Upstash");
    });

    await t.step("an official number, a customer webhook endpoint and a socket in the room", async () => {
      const number = await worker.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token,
        json: {
          api_type: "official",
          name: "Atendimento",
          phone_number: `+${DISPLAY}`,
          phone_number_id: PHONE_NUMBER_ID,
          business_account_id: WABA,
          access_token: GRAPH_TOKEN,
          app_secret: APP_SECRET,
        },
      });
      assert.equal(number.status, 201, await number.clone().text());
      await number.body?.cancel();
      receiver.answer(503, 200);
      const hook = await worker.request("/api/v1/webhooks", {
        method: "POST",
        token,
        json: { url: `https://${HOOK_HOST}/hook`, events: ["message.received", "message.sent"] },
      });
      assert.equal(hook.status, 201, await hook.clone().text());
      await hook.body?.cancel();
      socket = await WsClient.open(`${worker.url.replace(/^http/, "ws")}/ws`, ["pytake", `bearer.${token}`]);
      assert.equal((await socket.ask({ type: "subscribe", channels: ["messages"] })).type, "subscribed");
    });

    let inboundWamid = "";
    await t.step("an inbound webhook: 200 at once, processed through a QStash callback", async () => {
      const payload = inboundTextPayload({
        wabaId: WABA,
        phoneNumberId: PHONE_NUMBER_ID,
        displayPhoneNumber: DISPLAY,
        from: CUSTOMER,
        name: "Cliente Borda",
        text: "Minha internet caiu",
      });
      inboundWamid = payload.entry[0].changes[0].value.messages[0].id;
      const res = await graph.deliverWebhook(`${worker.url}/api/v1/whatsapp/webhook`, payload, APP_SECRET);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: "received" });
      const event = await socket!.next();
      assert.deepEqual([event.channel, event.event], ["messages", "message.received"]);
      // The event reached the socket while QStash's callback was still being answered.
      await qstash.waitForIdle(15_000);
      const [published] = qstash.published.filter((m) => m.destination.endsWith("/whatsapp.process_webhook"));
      assert.equal(published.destination, `${PUBLIC_BASE_URL}/internal/jobs/whatsapp.process_webhook`);
      assert.deepEqual(jobDeliveries("whatsapp.process_webhook").map((d) => [d.status, d.outcome]), [
        [200, "delivered"],
      ]);
      const stored = await pg.client.query<{ status: string }>("select status from webhook_events");
      assert.deepEqual(stored.rows, [{ status: "processed" }]);
    });

    let messageId = "";
    await t.step(
      "a send through Meta after a throughput error: QStash retries the job with its backoff",
      async () => {
        graph.failNext({ code: 130429, times: 2 });
        const res = await worker.request("/api/v1/whatsapp/send", {
          method: "POST",
          token,
          json: { to: `+${CUSTOMER}`, message: "Vamos verificar, um momento." },
        });
        const b = await res.json() as { outcome: string; message: { id: string; status: string } };
        assert.equal(res.status, 202, JSON.stringify(b));
        assert.deepEqual([b.outcome, b.message.status], ["queued", "pending"]);
        messageId = b.message.id;
        const sent = await socket!.next();
        assert.deepEqual([sent.event, (sent.data as { message: { id: string } }).message.id], [
          "message.sent",
          messageId,
        ]);
        await qstash.waitForIdle(15_000);
        const [msg] = qstash.published.filter((m) => m.destination.endsWith("/whatsapp.send"));
        assert.equal(msg.retries, 5, "the handler's six attempts, as QStash retries");
        assert.deepEqual(
          jobDeliveries("whatsapp.send").map((d) => [d.retried, d.status, d.outcome]),
          [[0, 500, "retry"], [1, 200, "delivered"]],
        );
        assert.equal(graph.sent.filter((s) => s.waId === CUSTOMER).length, 1, "Meta accepted it once");
        const status = await worker.request(`/api/v1/whatsapp/messages/${messageId}/status`, { token });
        assert.equal((await status.json() as { status: string }).status, "sent");
      },
    );

    await t.step("QStash delivering the job twice: it runs once", async () => {
      const before = await jobsRun("whatsapp.send");
      const [msg] = qstash.published.filter((m) => m.destination.endsWith("/whatsapp.send"));
      const again = await qstash.redeliver(msg.messageId);
      assert.equal(again.status, 200);
      assert.deepEqual(JSON.parse(again.responseBody), { status: "completed", duplicate: true });
      assert.equal(await jobsRun("whatsapp.send"), before, "the handler did not run again");
      assert.equal(graph.sent.filter((s) => s.waId === CUSTOMER).length, 1);
    });

    await t.step("a forged or replayed callback is 401 and runs nothing", async () => {
      const before = await jobsRun("whatsapp.send");
      const delivered = jobDeliveries("whatsapp.send").find((d) => d.outcome === "delivered")!;
      const [msg] = qstash.published.filter((m) => m.destination.endsWith("/whatsapp.send"));
      const call = (signature: string, messageId: string) =>
        fetch(`${worker.url}/internal/jobs/whatsapp.send`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "upstash-signature": signature,
            "upstash-message-id": messageId,
          },
          body: msg.body,
        });
      const replayed = await call(delivered.headers["upstash-signature"], "msg_a_new_id_to_dodge_the_ledger");
      assert.equal(replayed.status, 401);
      assert.match((await replayed.json() as { detail: string }).detail, /already used/);
      const forged = await call(
        await qstash.sign(delivered.url, msg.body, { key: "sig_someone_elses_key" }),
        "msg_forged",
      );
      assert.equal(forged.status, 401);
      await forged.body?.cancel();
      const nextKey = await call(
        await qstash.sign(delivered.url, msg.body, { key: QSTASH.nextSigningKey }),
        msg.messageId,
      );
      assert.equal(nextKey.status, 200, "the next signing key is accepted (rotation)");
      assert.equal((await nextKey.json() as { duplicate: boolean }).duplicate, true);
      assert.equal(await jobsRun("whatsapp.send"), before);
    });

    await t.step("Meta's delivered receipt, through the same callback path", async () => {
      const wamid = graph.sent.find((s) => s.waId === CUSTOMER)!.wamid;
      const res = await graph.deliverWebhook(
        `${worker.url}/api/v1/whatsapp/webhook`,
        statusPayload({
          wabaId: WABA,
          phoneNumberId: PHONE_NUMBER_ID,
          displayPhoneNumber: DISPLAY,
          wamid,
          recipientId: CUSTOMER,
          status: "delivered",
        }),
        APP_SECRET,
      );
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const status = await pollUntil("the delivered status", async () => {
        const r = await worker.request(`/api/v1/whatsapp/messages/${messageId}/status`, { token });
        const b = await r.json() as { status: string };
        return b.status === "delivered" ? b : undefined;
      });
      assert.equal(status.status, "delivered");
      assert.ok(inboundWamid);
    });

    await t.step("the cron trigger: a webhook whose job was lost is processed through QStash", async () => {
      // What a lost publish leaves: the event stored and acknowledged, never processed.
      const wamid = graph.sent.find((s) => s.waId === CUSTOMER)!.wamid;
      const raw = JSON.stringify(statusPayload({
        wabaId: WABA,
        phoneNumberId: PHONE_NUMBER_ID,
        displayPhoneNumber: DISPLAY,
        wamid,
        recipientId: CUSTOMER,
        status: "read",
      }));
      await pg.client.query(
        `insert into webhook_events (id, provider, dedupe_key, raw_body, received_at)
         values (gen_random_uuid(), 'meta', 'meta:lost-job-test', $1, now() - interval '2 minutes')`,
        [raw],
      );
      await worker.scheduled();
      await qstash.waitForIdle(15_000);
      const swept = qstash.published.filter((m) => m.dedupeId?.includes(":sweep:"));
      assert.equal(swept.length, 1, "the sweep queued the event as a job instead of processing it inline");
      const rows = await pg.client.query<{ status: string }>(
        "select status from webhook_events where dedupe_key = 'meta:lost-job-test'",
      );
      assert.deepEqual(rows.rows, [{ status: "processed" }]);
      const status = await worker.request(`/api/v1/whatsapp/messages/${messageId}/status`, { token });
      assert.equal((await status.json() as { status: string }).status, "read");
    });

    await t.step(
      "the customer's endpoint: a 503, retried after its backoff, then each event once",
      async () => {
        await qstash.waitForIdle(15_000);
        // The two events' deliveries run concurrently: compared per event, not in arrival order.
        const attemptsOf = (event: string) =>
          receiver.received.filter((r) => r.json.event === event).map((r) => r.headers["x-pytake-attempt"]);
        assert.deepEqual(attemptsOf("message.received"), ["1", "2"]);
        assert.deepEqual(attemptsOf("message.sent"), ["1"]);
        const [first, retry] = receiver.received.filter((r) => r.json.event === "message.received");
        assert.equal(first.json.id, retry.json.id, "the retry carries the same event id");
        const delays = qstash.published.filter((m) => m.destination.endsWith("/webhooks.deliver"))
          .map((m) => m.delaySeconds ?? 0);
        assert.equal(delays.length, 3);
        assert.ok(delays[1] >= 24 && delays[1] <= 36, `the retry waited ~30 s (published ${delays[1]} s)`);
        const rows = await pg.client.query<{ status: string; attempts: number }>(
          "select status, attempts from webhook_deliveries order by created_at",
        );
        assert.deepEqual(rows.rows, [{ status: "succeeded", attempts: 2 }, {
          status: "succeeded",
          attempts: 1,
        }]);
      },
    );

    await t.step("no job was left behind: no jobs table rows, every QStash message delivered", async () => {
      await qstash.waitForIdle(15_000);
      const jobs = await pg.client.query("select 1 from jobs");
      assert.equal(jobs.rows.length, 0, "production jobs live in QStash, not in the table");
      const undelivered = qstash.published.filter((m) =>
        !m.deduplicated &&
        !qstash.deliveries.some((d) => d.messageId === m.messageId && d.outcome === "delivered")
      );
      assert.deepEqual(undelivered.map((m) => m.destination), []);
    });
  } finally {
    await socket?.close();
    await topology.close();
  }
});
