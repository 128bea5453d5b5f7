/**
 * The round-trip budget (src/platform/db/round-trips.ts), held route by route: the whole app runs
 * on the neon-http driver against the Neon stand-in and each test counts the HTTP requests the
 * stand-in receives (tests/support/round-trips.ts). A count, never a time.
 */
import { strict as assert } from "node:assert";
import { tenantStateKey, userStateKey } from "../../src/auth/principal-state.ts";
import { sql } from "drizzle-orm";
import { type Budget, ROUND_TRIP_BUDGET } from "../../src/platform/db/round-trips.ts";
import { body } from "../support/harness.ts";
import {
  inboundTextPayload,
  serializeWebhookPayload,
  signWebhookBody,
  startGraphStandIn,
  statusPayload,
} from "../support/graph-standin.ts";
import { createApiKey, PASSWORD, registerTenant, setPlan } from "../support/identity.ts";
import { fillPath, type OpenApiDoc, operations, sampleBody } from "../support/openapi-sample.ts";
import { assertWithinBudget, createRoundTripContext, type RoundTripContext } from "../support/round-trips.ts";
import { addNumber, addSandboxNumber, customerPhone, customerWrites } from "../support/whatsapp.ts";

/** A tenant with one of everything a read route can show, its caches warm. */
async function seeded(rt: RoundTripContext) {
  const owner = await registerTenant(rt);
  await setPlan(rt, owner.tenantId, "enterprise");
  const number = await addSandboxNumber(rt, owner.token);
  const phone = customerPhone();
  await customerWrites(rt, owner.token, number.id, phone);
  const hook = await rt.request("/api/v1/webhooks", {
    method: "POST",
    token: owner.token,
    json: { url: "https://erp.example.com/hooks", events: ["*"] },
  });
  assert.equal(hook.status, 201, await hook.text());
  const key = await createApiKey(rt, owner.token);
  await rt.settle();
  await rt.warm(owner.token);
  return { owner, number, phone, key };
}

/** Routes that take more than `read` by design, with the budget they are held to instead. */
const READ_EXCEPTIONS: Record<string, number> = {
  "/api/v1/dashboard/overview": ROUND_TRIP_BUDGET.dashboard.beforeAnswer,
  "/api/v1/dashboard/kpis": ROUND_TRIP_BUDGET.dashboard.beforeAnswer,
  // Asks the provider for the number's live state: the number before the call, the answer kept after.
  "/api/v1/whatsapp-configs/{id}/status": 2,
};

Deno.test("round trips: authentication costs one statement cold and none warm", async (t) => {
  const rt = await createRoundTripContext();
  try {
    const { owner, key } = await seeded(rt);
    const forget = () => rt.services.kv.del(userStateKey(owner.userId), tenantStateKey(owner.tenantId));
    // GET /api/v1/roles reads nothing itself: what it costs is authentication's.
    await t.step("access token, cold: user and tenant in one statement", async () => {
      await forget();
      const m = await rt.measure("/api/v1/roles", { token: owner.token });
      assert.equal(m.res.status, 200);
      assertWithinBudget(m, ROUND_TRIP_BUDGET.authenticationCold, "JWT, cold cache");
      assert.equal(m.before.length, 1, "the cold cache is filled from the database");
    });
    await t.step("access token, warm: no database at all", async () => {
      const m = await rt.measure("/api/v1/roles", { token: owner.token });
      assertWithinBudget(m, ROUND_TRIP_BUDGET.authenticationWarm, "JWT, warm cache");
    });
    await t.step("API key, cold: key, creator and tenant in one statement", async () => {
      await rt.services.kv.del(userStateKey(owner.userId), tenantStateKey(owner.tenantId));
      rt.clock.advance(61_000); // the key's own cached state expires too
      const m = await rt.measure("/api/v1/roles", { token: key });
      assert.equal(m.res.status, 200, await m.res.text());
      assertWithinBudget(m, ROUND_TRIP_BUDGET.authenticationCold, "API key, cold cache");
    });
    await t.step("API key, warm", async () => {
      const m = await rt.measure("/api/v1/roles", { token: key });
      assertWithinBudget(m, ROUND_TRIP_BUDGET.authenticationWarm, "API key, warm cache");
    });
    await t.step("a change is honoured on the very next request, and the cache fills again", async () => {
      const root = await rt.request("/api/v1/auth/login", {
        method: "POST",
        json: { email: "root@pytake.test", password: "Root-password-1" },
      });
      const rootToken = (await body<{ token: string }>(root)).token;
      const suspend = await rt.request(`/api/v1/tenants/${owner.tenantId}/suspend`, {
        method: "POST",
        token: rootToken,
        json: { reason: "round-trip test" },
      });
      assert.equal(suspend.status, 200, await suspend.text());
      const refused = await rt.measure("/api/v1/roles", { token: owner.token });
      assert.equal(refused.res.status, 403);
      assert.equal((await body(refused.res)).code, "tenant_suspended");
      const back = await rt.request(`/api/v1/tenants/${owner.tenantId}/reactivate`, {
        method: "POST",
        token: rootToken,
      });
      assert.equal(back.status, 200, await back.text());
      assert.equal((await rt.measure("/api/v1/roles", { token: owner.token })).res.status, 200);
      await rt.warm(owner.token);
      assertWithinBudget(
        await rt.measure("/api/v1/roles", { token: owner.token }),
        ROUND_TRIP_BUDGET.authenticationWarm,
        "JWT, warm again after the change",
      );
    });
  } finally {
    await rt.close();
  }
});

Deno.test("round trips: every read and list route of the API answers in one", async () => {
  const rt = await createRoundTripContext();
  try {
    const { owner } = await seeded(rt);
    const doc = await body<OpenApiDoc>(await rt.request("/openapi.json"));
    // `{id}` routes are read with an id of the collection's first row.
    const firstId = async (collection: string) => {
      const list = await body<{ data?: { id: string }[] }>(
        await rt.request(collection, { token: owner.token }),
      );
      return list.data?.[0]?.id;
    };
    const queries: Record<string, string> = {
      "/api/v1/whatsapp/messages/search": "?q=ajuda",
      "/api/v1/contacts/search": "?q=cliente",
    };
    let measured = 0;
    const over: string[] = [];
    for (const { method, path, op } of operations(doc)) {
      const access = op["x-pytake-access"];
      if (method !== "get" || !(access?.permission || access?.user)) continue;
      if (path === "/ws" || path.endsWith("/export") || path.startsWith("/observability")) continue;
      const ids: Record<string, string> = {};
      if (path.includes("{id}")) {
        const id = await firstId(path.slice(0, path.indexOf("/{id}")));
        if (!id) continue;
        ids.id = id;
      }
      const url = fillPath(doc, path, op, ids) + (queries[path] ?? "");
      const m = await rt.measure(url, { token: owner.token });
      if (m.res.status !== 200) continue; // a route this tenant cannot read (a platform route)
      measured++;
      const budget = READ_EXCEPTIONS[path] ?? ROUND_TRIP_BUDGET.read.beforeAnswer;
      try {
        assertWithinBudget(m, { beforeAnswer: budget }, `GET ${path}`);
      } catch (err) {
        over.push((err as Error).message);
      }
    }
    assert.deepEqual(over, [], over.join("\n\n"));
    assert.ok(measured >= 25, `expected the read surface, measured ${measured} routes`);
  } finally {
    await rt.close();
  }
});

const PHONE_NUMBER_ID = "106540352242922";
const META_SECRET = "round_trip_app_secret";

Deno.test("round trips: the hot routes hold their budgets", async (t) => {
  const graph = await startGraphStandIn();
  graph.addNumber({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: "EAAGroundtripstoken0123456789",
    displayPhoneNumber: "+55 11 95555-4321",
    verifiedName: "Fibra Rápida",
    qualityRating: "GREEN",
    messagingLimitTier: "TIER_1K",
    wabaId: "102290129340398",
  });
  const rt = await createRoundTripContext({ env: { WHATSAPP_GRAPH_BASE_URL: graph.url } });
  try {
    const { owner, number, phone } = await seeded(rt);
    const meta = await addNumber(rt, owner.token, {
      api_type: "official",
      name: "Atendimento",
      phone_number: "+5511955554321",
      phone_number_id: PHONE_NUMBER_ID,
      business_account_id: "102290129340398",
      access_token: "EAAGroundtripstoken0123456789",
      app_secret: META_SECRET,
    });
    await rt.warm(owner.token);
    const measure = async (
      label: string,
      path: string,
      init: Parameters<typeof rt.request>[1],
      budget: Budget,
    ) => {
      const m = await rt.measure(path, init);
      assert.ok(m.res.status < 300, `${label}: ${m.res.status} ${await m.res.clone().text()}`);
      assertWithinBudget(m, budget, label);
      return m;
    };

    await t.step("login", async () => {
      await measure("POST /api/v1/auth/login", "/api/v1/auth/login", {
        method: "POST",
        json: { email: owner.email, password: PASSWORD },
      }, ROUND_TRIP_BUDGET.login);
    });

    await t.step("me, contacts and conversations lists", async () => {
      for (const path of ["/api/v1/auth/me", "/api/v1/contacts", "/api/v1/conversations"]) {
        await measure(`GET ${path}`, path, { token: owner.token }, ROUND_TRIP_BUDGET.read);
      }
    });

    await t.step("a send on the sandbox, then on Meta's Cloud API", async () => {
      const send = {
        method: "POST",
        token: owner.token,
        json: { to: phone, message: "Olá!", config_id: number.id },
      };
      // The first send fills the tenant's number cache; the budget is for a warm one.
      await rt.measure("/api/v1/whatsapp/send", send);
      await measure(
        "POST /api/v1/whatsapp/send (sandbox)",
        "/api/v1/whatsapp/send",
        send,
        ROUND_TRIP_BUDGET.send,
      );
      // Meta's window: the customer writes to the Meta number first.
      await metaWebhook(
        rt,
        inboundTextPayload({
          wabaId: "102290129340398",
          displayPhoneNumber: "5511955554321",
          phoneNumberId: PHONE_NUMBER_ID,
          from: phone.slice(1),
          name: "Cliente Meta",
          text: "Oi pelo número oficial",
        }),
      );
      await measure("POST /api/v1/whatsapp/send (Meta)", "/api/v1/whatsapp/send", {
        method: "POST",
        token: owner.token,
        json: { to: phone, message: "Olá pelo oficial!", config_id: meta.id },
      }, ROUND_TRIP_BUDGET.send);
    });

    await t.step("every send route", async () => {
      const doc = await body<OpenApiDoc>(await rt.request("/openapi.json"));
      const sends = operations(doc).filter(({ method, path }) =>
        method === "post" && path.startsWith("/api/v1/whatsapp/send")
      );
      assert.ok(sends.length >= 9, `the send routes: ${sends.map((s) => s.path)}`);
      for (const { path, op } of sends) {
        const sample = JSON.parse(sampleBody(doc, op)!);
        await measure(`POST ${path}`, path, {
          method: "POST",
          token: owner.token,
          json: { ...sample, to: phone, config_id: number.id },
        }, ROUND_TRIP_BUDGET.send);
      }
    });

    await t.step("Meta's webhook: the 200 after storing it, then the message processed", async () => {
      const payload = inboundTextPayload({
        wabaId: "102290129340398",
        displayPhoneNumber: "5511955554321",
        phoneNumberId: PHONE_NUMBER_ID,
        from: customerPhone().slice(1),
        name: "Cliente Novo",
        text: "Minha internet caiu",
      });
      const m = await metaWebhook(rt, payload);
      assertWithinBudget(m, ROUND_TRIP_BUDGET.webhookAck, "POST /api/v1/whatsapp/webhook", { exactly: true });
      assertWithinBudget(
        { before: [], after: m.after },
        ROUND_TRIP_BUDGET.inboundProcessed,
        "inbound message processed",
      );
      assert.equal(m.after.length >= 2, true, "read and written after the answer");
    });

    await t.step("a status webhook: stored, then the message moved", async () => {
      const [sent] = await rt.services.database.rows<{ provider_message_id: string }>(
        sql`select provider_message_id from messages where config_id = ${meta.id} and direction = 'outbound'
          and provider_message_id is not null limit 1`,
      );
      const m = await metaWebhook(
        rt,
        statusPayload({
          wabaId: "102290129340398",
          displayPhoneNumber: "5511955554321",
          phoneNumberId: PHONE_NUMBER_ID,
          wamid: sent.provider_message_id,
          recipientId: phone.slice(1),
          status: "delivered",
        }),
      );
      assertWithinBudget(m, ROUND_TRIP_BUDGET.webhookAck, "status webhook", { exactly: true });
      assertWithinBudget(
        { before: [], after: m.after },
        ROUND_TRIP_BUDGET.inboundProcessed,
        "status processed",
      );
    });

    await t.step("the sandbox's simulated customer: stored and processed before its answer", async () => {
      const m = await rt.measure(`/api/v1/whatsapp-configs/${number.id}/simulate-inbound`, {
        method: "POST",
        token: owner.token,
        json: { from: customerPhone(), text: "Olá do simulador" },
      });
      assert.equal(m.res.status, 201);
      // The webhook's ACK and its processing, in one request.
      assertWithinBudget(
        m,
        {
          beforeAnswer: ROUND_TRIP_BUDGET.webhookAck.beforeAnswer +
            ROUND_TRIP_BUDGET.inboundProcessed.afterAnswer - 1,
        },
        "POST simulate-inbound",
      );
    });

    await t.step("dashboard overview and KPIs", async () => {
      for (const path of ["/api/v1/dashboard/overview", "/api/v1/dashboard/kpis"]) {
        await measure(`GET ${path}`, path, { token: owner.token }, ROUND_TRIP_BUDGET.dashboard);
      }
    });
  } finally {
    await rt.close();
    await graph.close();
  }
});

/** A Meta webhook, signed with the number's app secret, measured. */
async function metaWebhook(rt: RoundTripContext, payload: unknown) {
  const raw = serializeWebhookPayload(payload);
  const m = await rt.measure("/api/v1/whatsapp/webhook", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": await signWebhookBody(raw, META_SECRET),
    },
    body: raw,
  });
  assert.equal(m.res.status, 200, await m.res.clone().text());
  return m;
}
