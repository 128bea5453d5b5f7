/**
 * The QStash stand-in checked against the real SDK on both ends: `Client` publishes to it and a
 * receiver verifies its deliveries with `Receiver`, so the stand-in can only pass by speaking
 * QStash's wire format. The last test runs our own adapter and signature check through it.
 */
import assert from "node:assert/strict";
import { z } from "@hono/zod-openapi";
import { Client, QstashError, Receiver, SignatureError } from "@upstash/qstash";
import { decodeJwt } from "jose";
import { JobRegistry } from "../../src/platform/jobs/jobs.ts";
import {
  jobCallbackPath,
  QStashJobQueue,
  verifyQStashSignature,
} from "../../src/platform/jobs/qstash-jobs.ts";
import {
  type QStashStandIn,
  type QStashStandInOptions,
  startQStashStandIn,
} from "../support/qstash-standin.ts";

const TOKEN = "qstash-standin-test-token";
const KEYS = {
  currentSigningKey: "sig_currentKeyForTheStandInTest0001",
  nextSigningKey: "sig_nextKeyForTheStandInTest000002",
};

/** What the receiver saw on one request. */
interface Hit {
  path: string;
  headers: Headers;
  body: string;
  verified: boolean;
  error?: string;
}

interface TestReceiver {
  /** Base URL, playing the app's PUBLIC_BASE_URL. */
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

/**
 * A destination that checks every request with the SDK's Receiver against the URL it believes
 * is its own, as our route does, then answers 401 or whatever `respond` says.
 */
async function startReceiver(
  respond: (hit: Hit, index: number) => Response = () => Response.json({ ok: true }),
  verify: (signature: string, body: string, url: string) => Promise<boolean> = verifyWithReceiver,
): Promise<TestReceiver> {
  const hits: Hit[] = [];
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => listening.resolve() },
    async (req) => {
      const { pathname, search } = new URL(req.url);
      const body = await req.text(); // the raw bytes, before anything parses them
      const hit: Hit = { path: pathname + search, headers: req.headers, body, verified: false };
      try {
        hit.verified = await verify(req.headers.get("upstash-signature") ?? "", body, base + hit.path);
      } catch (err) {
        hit.error = (err as Error).message;
      }
      hits.push(hit);
      return hit.verified ? respond(hit, hits.length - 1) : new Response("bad signature", { status: 401 });
    },
  );
  await listening.promise;
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { url: base, hits, close: () => server.shutdown() };
}

function verifyWithReceiver(signature: string, body: string, url: string): Promise<boolean> {
  const receiver = new Receiver({ ...KEYS, devMode: false });
  return receiver.verify({ signature, body, url, clockTolerance: 5 });
}

/** Runs `fn` with a stand-in and a receiver, closing both however it ends. */
async function withQStash(
  fn: (ctx: { standIn: QStashStandIn; receiver: TestReceiver; client: Client }) => Promise<void>,
  opts: { respond?: (hit: Hit, index: number) => Response; standIn?: Partial<QStashStandInOptions> } = {},
): Promise<void> {
  const standIn = await startQStashStandIn({ token: TOKEN, ...KEYS, ...opts.standIn });
  const receiver = await startReceiver(opts.respond);
  try {
    await fn({ standIn, receiver, client: new Client({ baseUrl: standIn.url, token: TOKEN }) });
  } finally {
    await standIn.close();
    await receiver.close();
  }
}

Deno.test("publishJSON is delivered once, signed, with QStash's delivery headers", async () => {
  await withQStash(async ({ standIn, receiver, client }) => {
    const url = `${receiver.url}/internal/jobs/demo.ping`;
    const res = await client.publishJSON({
      url,
      body: { payload: { n: 1, text: "olá" } },
      headers: { "X-Tenant": "t1" },
      retries: 2,
    });
    assert.match(res.messageId, /^msg_/);
    assert.equal(res.url, url);
    assert.equal(res.deduplicated, undefined);
    await standIn.waitForIdle();

    const [msg] = standIn.published;
    assert.equal(msg.destination, url);
    assert.equal(msg.retries, 2);
    assert.equal(msg.headers["authorization"], `Bearer ${TOKEN}`);
    assert.equal(msg.headers["upstash-method"], "POST");
    assert.equal(msg.headers["upstash-retries"], "2");
    assert.equal(msg.headers["upstash-forward-x-tenant"], "t1");
    assert.equal(msg.contentType, "application/json");

    assert.equal(receiver.hits.length, 1);
    const hit = receiver.hits[0];
    assert.equal(hit.verified, true, hit.error ?? "");
    assert.equal(hit.path, "/internal/jobs/demo.ping");
    assert.equal(hit.body, JSON.stringify({ payload: { n: 1, text: "olá" } }));
    assert.equal(hit.headers.get("content-type"), "application/json");
    assert.equal(hit.headers.get("x-tenant"), "t1");
    assert.equal(hit.headers.get("upstash-message-id"), res.messageId);
    assert.equal(hit.headers.get("upstash-retried"), "0");
    assert.equal(hit.headers.get("user-agent"), "Upstash-QStash");
    assert.equal(hit.headers.get("upstash-caller-ip"), "127.0.0.1");
    assert.equal(hit.headers.get("authorization"), null, "the QStash token must never reach the destination");

    const claims = decodeJwt(hit.headers.get("upstash-signature")!);
    assert.equal(claims.iss, "Upstash");
    assert.equal(claims.sub, url);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp! - claims.iat!, 300);
    assert.match(String(claims.jti), /^jwt_/);
    assert.match(String(claims.body), /^[A-Za-z0-9_-]{43}=$/, "base64url with its padding kept");

    assert.deepEqual(
      standIn.deliveries.map((d) => [d.messageId, d.status, d.retried, d.outcome]),
      [[res.messageId, 200, 0, "delivered"]],
    );
  });
});

Deno.test("a delivery signed with the next key verifies (key rotation)", async () => {
  await withQStash(async ({ standIn, receiver, client }) => {
    standIn.setSigningKey("next");
    await client.publishJSON({ url: `${receiver.url}/rotated`, body: { a: 1 } });
    await standIn.waitForIdle();
    assert.equal(receiver.hits.length, 1);
    assert.equal(receiver.hits[0].verified, true, receiver.hits[0].error);
    assert.equal(decodeJwt(receiver.hits[0].headers.get("upstash-signature")!).iss, "Upstash");
    // And a hand-made one with the next key, checked straight against Receiver.
    const sig = await standIn.sign("https://app.test/x", "{}", { key: KEYS.nextSigningKey });
    assert.equal(await verifyWithReceiver(sig, "{}", "https://app.test/x"), true);
  });
});

Deno.test("Receiver rejects a tampered body, a wrong url, an expired token, a foreign key or issuer", async () => {
  const standIn = await startQStashStandIn({ token: TOKEN, ...KEYS });
  try {
    const url = "https://app.test/internal/jobs/demo.ping";
    const body = '{"payload":{"n":1}}';
    const valid = await standIn.sign(url, body);
    assert.equal(await verifyWithReceiver(valid, body, url), true);

    await assert.rejects(verifyWithReceiver(valid, '{"payload":{"n":2}}', url), SignatureError);
    await assert.rejects(verifyWithReceiver(valid, body + " ", url), SignatureError);
    await assert.rejects(
      verifyWithReceiver(valid, body, "https://app.test/internal/jobs/other"),
      SignatureError,
    );
    const expired = await standIn.sign(url, body, { expiresInSeconds: -60 });
    await assert.rejects(verifyWithReceiver(expired, body, url), SignatureError);
    const foreign = await standIn.sign(url, body, { key: "sig_someoneElsesKey" });
    await assert.rejects(verifyWithReceiver(foreign, body, url), SignatureError);
    const notUpstash = await standIn.sign(url, body, { issuer: "Mallory" });
    await assert.rejects(verifyWithReceiver(notUpstash, body, url), SignatureError);
    // Within the 5 s clock tolerance an expiry only just past is still accepted, as in production.
    const justExpired = await standIn.sign(url, body, { expiresInSeconds: -2 });
    assert.equal(await verifyWithReceiver(justExpired, body, url), true);
  } finally {
    await standIn.close();
  }
});

Deno.test("Upstash-Delay and Upstash-Not-Before hold the delivery back", async () => {
  await withQStash(async ({ standIn, receiver, client }) => {
    const delayed = await client.publishJSON({ url: `${receiver.url}/delay`, body: {}, delay: 1 });
    const notBefore = Math.floor(Date.now() / 1000) + 2;
    const timed = await client.publishJSON({ url: `${receiver.url}/not-before`, body: {}, notBefore });
    await standIn.waitForIdle();

    const byId = (id: string) => standIn.published.find((p) => p.messageId === id)!;
    assert.equal(byId(delayed.messageId).headers["upstash-delay"], "1s");
    assert.equal(byId(delayed.messageId).delaySeconds, 1);
    assert.equal(byId(timed.messageId).notBefore, notBefore);

    const at = (id: string) => standIn.deliveries.find((d) => d.messageId === id)!.at;
    const waited = at(delayed.messageId) - byId(delayed.messageId).publishedAt;
    assert.ok(waited >= 990 && waited < 1500, `delivered after ${waited} ms, want about 1000`);
    assert.ok(at(timed.messageId) >= notBefore * 1000, "delivered before Upstash-Not-Before");
    assert.equal(receiver.hits.length, 2);
    assert.ok(receiver.hits.every((h) => h.verified));
  });
});

Deno.test("a 500 is retried with Upstash-Retried 0, 1, 2 until it succeeds; retries run out", async () => {
  const failTwice = (hit: Hit, i: number) =>
    hit.path === "/flaky" && i < 2 ? new Response("boom", { status: 500 }) : Response.json({ ok: true });
  await withQStash(async ({ standIn, receiver, client }) => {
    const flaky = await client.publishJSON({ url: `${receiver.url}/flaky`, body: { x: 1 }, retries: 3 });
    await standIn.waitForIdle();
    assert.deepEqual(receiver.hits.map((h) => h.headers.get("upstash-retried")), ["0", "1", "2"]);
    assert.ok(
      receiver.hits.every((h) => h.verified && h.headers.get("upstash-message-id") === flaky.messageId),
    );
    assert.deepEqual(
      standIn.deliveries.map((d) => [d.status, d.retried, d.outcome]),
      [[500, 0, "retry"], [500, 1, "retry"], [200, 2, "delivered"]],
    );
  }, { respond: failTwice });

  await withQStash(async ({ standIn, receiver, client }) => {
    await client.publishJSON({ url: `${receiver.url}/down`, body: {}, retries: 1 });
    await standIn.waitForIdle();
    assert.equal(receiver.hits.length, 2, "first attempt plus one retry");
    assert.deepEqual(standIn.deliveries.map((d) => d.outcome), ["retry", "failed"]);
  }, { respond: () => new Response("down", { status: 503 }) });
});

Deno.test("489 with Upstash-NonRetryable-Error stops at once; 489 alone is retried", async () => {
  const respond = (hit: Hit, i: number) => {
    if (hit.path === "/never") {
      return new Response("cannot succeed", {
        status: 489,
        headers: { "Upstash-NonRetryable-Error": "true" },
      });
    }
    return i === 0 || hit.path !== "/plain-489" ? new Response("", { status: 489 }) : new Response("ok");
  };
  await withQStash(async ({ standIn, receiver, client }) => {
    const never = await client.publishJSON({ url: `${receiver.url}/never`, body: {}, retries: 5 });
    await standIn.waitForIdle();
    assert.deepEqual(
      standIn.deliveries.map((d) => [d.messageId, d.status, d.outcome, d.responseBody]),
      [[never.messageId, 489, "failed", "cannot succeed"]],
    );
  }, { respond });
  await withQStash(async ({ standIn, client, receiver }) => {
    await client.publishJSON({ url: `${receiver.url}/plain-489`, body: {}, retries: 5 });
    await standIn.waitForIdle();
    assert.deepEqual(standIn.deliveries.map((d) => [d.status, d.outcome]), [[489, "retry"], [
      200,
      "delivered",
    ]]);
  }, { respond });
});

Deno.test("a repeated deduplication id returns the same messageId, deduplicated, and delivers once", async () => {
  await withQStash(async ({ standIn, receiver, client }) => {
    const url = `${receiver.url}/dedupe`;
    const first = await client.publishJSON({ url, body: { n: 1 }, deduplicationId: "order-42" });
    const second = await client.publishJSON({ url, body: { n: 2 }, deduplicationId: "order-42" });
    assert.equal(second.messageId, first.messageId);
    assert.equal(first.deduplicated, undefined);
    assert.equal(second.deduplicated, true);

    const a = await client.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const b = await client.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const c = await client.publishJSON({ url, body: { same: false }, contentBasedDeduplication: true });
    assert.equal(b.messageId, a.messageId);
    assert.equal(b.deduplicated, true);
    assert.notEqual(c.messageId, a.messageId);

    await standIn.waitForIdle();
    assert.deepEqual(standIn.published.map((p) => p.deduplicated), [false, true, false, true, false]);
    // Deliveries run concurrently, so they may arrive in any order (QStash promises none either).
    assert.deepEqual(receiver.hits.map((h) => h.body).sort(), ['{"n":1}', '{"same":false}', '{"same":true}']);
  });
});

Deno.test("a wrong token or a destination that is not an absolute URL is refused", async () => {
  await withQStash(async ({ standIn, receiver }) => {
    const intruder = new Client({ baseUrl: standIn.url, token: "not-the-token", retry: false });
    // The SDK logs each refused call on stderr ("[Upstash QStash] ... failed with status 401").
    await assert.rejects(
      intruder.publishJSON({ url: `${receiver.url}/x`, body: {} }),
      (err) => err instanceof QstashError && err.status === 401 && /error/.test(err.message),
    );
    const client = new Client({ baseUrl: standIn.url, token: TOKEN, retry: false });
    await assert.rejects(
      client.publishJSON({ url: "ftp://files.test/x", body: {} }),
      (err) => err instanceof QstashError && err.status === 400,
    );
    await standIn.waitForIdle();
    assert.equal(standIn.published.length, 0);
    assert.equal(receiver.hits.length, 0);
  });
});

Deno.test("our QStashJobQueue and verifyQStashSignature agree with QStash's wire format", async () => {
  const standIn = await startQStashStandIn({ token: TOKEN, ...KEYS });
  // The route checks against PUBLIC_BASE_URL + jobCallbackPath(name), never the Host it was hit on.
  let publicBase = "";
  const receiver = await startReceiver(
    () => Response.json({ status: "completed" }),
    (signature, rawBody, url) => {
      const name = decodeURIComponent(new URL(url).pathname.split("/").pop()!);
      return verifyQStashSignature(KEYS, { signature, rawBody, url: publicBase + jobCallbackPath(name) });
    },
  );
  publicBase = receiver.url;
  try {
    const registry = new JobRegistry();
    registry.register("demo.ping", z.object({ n: z.number() }), () => Promise.resolve(), { maxAttempts: 4 });
    const queue = new QStashJobQueue({ url: standIn.url, token: TOKEN, ...KEYS }, publicBase, registry);

    const first = await queue.enqueue("demo.ping", { n: 1 }, { dedupeId: "ping-1", delaySeconds: 0.2 });
    const again = await queue.enqueue("demo.ping", { n: 1 }, { dedupeId: "ping-1" });
    assert.deepEqual(again, { id: first.id, deduplicated: true });
    assert.equal(first.deduplicated, false);
    await standIn.waitForIdle();

    const [msg] = standIn.published;
    assert.equal(msg.destination, `${publicBase}/internal/jobs/demo.ping`);
    assert.equal(msg.body, '{"payload":{"n":1},"max_attempts":4}');
    assert.equal(msg.retries, 3, "maxAttempts 4 = first delivery + 3 retries");
    assert.equal(msg.headers["upstash-delay"], "1s", "fractional delays round up to whole seconds");
    assert.equal(msg.dedupeId, "ping-1");
    assert.equal(receiver.hits.length, 1);
    assert.equal(receiver.hits[0].verified, true);
    assert.deepEqual(standIn.deliveries.map((d) => d.outcome), ["delivered"]);

    // A body the receiver re-serialised differently no longer matches the signed hash.
    const sig = receiver.hits[0].headers.get("upstash-signature")!;
    const url = publicBase + jobCallbackPath("demo.ping");
    assert.equal(
      await verifyQStashSignature(KEYS, { signature: sig, rawBody: '{"payload": {"n": 1}}', url }),
      false,
    );
    assert.equal(await verifyQStashSignature(KEYS, { signature: undefined, rawBody: msg.body, url }), false);
  } finally {
    await standIn.close();
    await receiver.close();
  }
});
