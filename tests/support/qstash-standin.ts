/**
 * A local stand-in for Upstash QStash v2: the publish API the SDK's `Client` calls and the signed
 * deliveries the SDK's `Receiver` checks. It follows the wire format of @upstash/qstash 2.12 and
 * the QStash docs (publishing, receiving, signature, retry, deduplication), so a test that passes
 * against it exercises the same bytes the real service would send and expect.
 *
 * Not modelled: URL groups, queues, schedules, callbacks, flow control, `Upstash-Retry-Delay`
 * expressions and `Retry-After` answers (those headers are kept in `published[].headers`).
 */
import { SignJWT } from "jose";

export interface QStashStandInOptions {
  /** The token the publisher must send as `Authorization: Bearer <token>`. */
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** Which key signs deliveries; "next" mimics QStash after a key rotation. Default "current". */
  signWith?: "current" | "next";
  /** Port to listen on, 127.0.0.1 only. Default: any free port. */
  port?: number;
  /**
   * Wait before retry number `retried + 1`. Default 20 ms so tests stay fast; pass
   * `qstashDefaultBackoffMs` for the real schedule.
   */
  retryDelayMs?: (retried: number) => number;
  /**
   * Where a delivery is actually sent, given its destination: a test maps the app's public
   * https URL onto the loopback address it listens on. The signature's `sub` stays the
   * destination as published. Default: the destination itself.
   */
  route?: (destination: string) => string;
  /**
   * Published delays (`Upstash-Delay`, `Upstash-Not-Before`) are waited for this fraction of
   * their length: 0.01 turns a webhook's 30 s backoff into 0.3 s. `published[]` keeps the real
   * values. Default 1.
   */
  delayScale?: number;
}

/** One accepted `POST /v2/publish/<destination>`, duplicates included. */
export interface PublishedMessage {
  messageId: string;
  /** The destination exactly as published; it is also the `sub` of every signature. */
  destination: string;
  /** Delivery method from `Upstash-Method` (default POST). */
  method: string;
  /** The publish request's headers, lower-cased. */
  headers: Record<string, string>;
  body: string;
  contentType: string | undefined;
  /** From `Upstash-Delay`, converted to seconds. */
  delaySeconds: number | undefined;
  /** From `Upstash-Not-Before`: unix seconds. */
  notBefore: number | undefined;
  /** Retries after the first attempt, from `Upstash-Retries` or QStash's default. */
  retries: number;
  /** `Upstash-Deduplication-Id`, or the content hash under content-based deduplication. */
  dedupeId: string | undefined;
  /** True when this publish matched an earlier dedupe id and was not enqueued again. */
  deduplicated: boolean;
  /** The publisher's address, sent on as `Upstash-Caller-Ip`. */
  callerIp: string;
  /** When the stand-in accepted it, in epoch ms. */
  publishedAt: number;
}

/** One delivery attempt. */
export interface Delivery {
  messageId: string;
  url: string;
  /** HTTP status of the answer; 0 when the request itself failed (refused, reset, aborted). */
  status: number;
  /** The `Upstash-Retried` sent: attempts made before this one. */
  retried: number;
  /** When the attempt started, in epoch ms. */
  at: number;
  /** "retry": another attempt follows; "failed": none will (QStash would move it to the DLQ). */
  outcome: "delivered" | "retry" | "failed";
  /** The headers sent with the attempt. */
  headers: Record<string, string>;
  responseBody: string;
  error?: string;
}

export interface SignOptions {
  /** HMAC key; default the key deliveries are currently signed with. */
  key?: string;
  /** Lifetime from now; negative gives an already expired token. Default 300 (QStash's 5 min). */
  expiresInSeconds?: number;
  /** Default "Upstash", the only issuer the Receiver accepts. */
  issuer?: string;
}

export interface QStashStandIn {
  /** Base URL to hand the SDK as `baseUrl`. */
  url: string;
  published: PublishedMessage[];
  deliveries: Delivery[];
  /** Resolves once no message is waiting for its time, for a retry or for an answer. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /**
   * Delivers a published message once more, as at-least-once delivery may: same message id, a
   * fresh signature, retries of its own. Resolves with the first attempt of that delivery.
   */
  redeliver(messageId: string): Promise<Delivery>;
  /** Holds every delivery attempt until `resume()`: to look at what a request did before its jobs run. */
  pause(): void;
  resume(): void;
  /** Switch the key that signs deliveries from now on (key rotation). */
  setSigningKey(which: "current" | "next"): void;
  /** An `Upstash-Signature` value exactly as QStash would build it for `url` and `body`. */
  sign(url: string, body: string | Uint8Array, opts?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

/** QStash's documented default backoff: min(1 day, e^(2.5·retried)) seconds. */
export const qstashDefaultBackoffMs = (retried: number): number =>
  Math.min(86_400, Math.exp(2.5 * retried)) * 1000;

/** What QStash uses when `Upstash-Retries` is absent (the free plan's maximum). */
const DEFAULT_RETRIES = 3;
const SIGNATURE_LIFETIME_SECONDS = 300;
const DURATION_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export async function startQStashStandIn(opts: QStashStandInOptions): Promise<QStashStandIn> {
  const published: PublishedMessage[] = [];
  const deliveries: Delivery[] = [];
  const dedupe = new Map<string, string>(); // dedupe id -> message id
  const active = new Set<Promise<void>>();
  const closing = new AbortController();
  const retryDelayMs = opts.retryDelayMs ?? (() => 20);
  let signWith = opts.signWith ?? "current";
  const signingKey = () => signWith === "current" ? opts.currentSigningKey : opts.nextSigningKey;

  const sign = (url: string, body: string | Uint8Array, o: SignOptions = {}) =>
    signDelivery(o.key ?? signingKey(), url, body, o.expiresInSeconds, o.issuer);

  const route = opts.route ?? ((d: string) => d);
  const delayScale = opts.delayScale ?? 1;
  const raws = new Map<string, { msg: PublishedMessage; raw: Uint8Array<ArrayBuffer> }>();
  let paused: PromiseWithResolvers<void> | undefined;

  async function deliver(
    msg: PublishedMessage,
    raw: Uint8Array<ArrayBuffer>,
    dueAt: number,
    firstAttempt?: (d: Delivery) => void,
  ): Promise<void> {
    await sleep((dueAt - Date.now()) * delayScale, closing.signal);
    for (let retried = 0; !closing.signal.aborted; retried++) {
      while (paused && !closing.signal.aborted) await paused.promise;
      const headers = new Headers();
      if (msg.contentType !== undefined) headers.set("Content-Type", msg.contentType);
      // Only `Upstash-Forward-*` headers reach the destination, with the prefix stripped.
      for (const [name, value] of Object.entries(msg.headers)) {
        if (name.startsWith("upstash-forward-")) headers.set(name.slice("upstash-forward-".length), value);
      }
      headers.set("User-Agent", "Upstash-QStash");
      headers.set("Upstash-Message-Id", msg.messageId);
      headers.set("Upstash-Retried", String(retried));
      headers.set("Upstash-Caller-Ip", msg.callerIp);
      // A fresh token per attempt: one that lives 5 minutes could not outlast QStash's backoff.
      headers.set("Upstash-Signature", await sign(msg.destination, raw));

      const attempt: Delivery = {
        messageId: msg.messageId,
        url: msg.destination,
        status: 0,
        retried,
        at: Date.now(),
        outcome: "retry",
        headers: Object.fromEntries(headers),
        responseBody: "",
      };
      deliveries.push(attempt);
      let nonRetryable = false;
      try {
        const res = await fetch(route(msg.destination), {
          method: msg.method,
          headers,
          body: msg.method === "GET" || msg.method === "HEAD" ? undefined : raw,
          // A redirect is an answer like any other non-2xx; following it would hide a wrong URL.
          redirect: "manual",
          signal: closing.signal,
        });
        attempt.status = res.status;
        attempt.responseBody = await res.text();
        nonRetryable = res.status === 489 && res.headers.get("upstash-nonretryable-error") === "true";
      } catch (err) {
        attempt.error = err instanceof Error ? err.message : String(err);
      }
      if (attempt.status >= 200 && attempt.status < 300) {
        attempt.outcome = "delivered";
      } else if (nonRetryable || retried >= msg.retries || closing.signal.aborted) {
        attempt.outcome = "failed";
      }
      if (retried === 0) firstAttempt?.(attempt);
      if (attempt.outcome !== "retry") return;
      await sleep(retryDelayMs(retried) * delayScale, closing.signal);
    }
  }

  async function publish(req: Request, destination: string, callerIp: string): Promise<Response> {
    if (req.method !== "POST") return json(405, { error: "method not allowed" });
    if (req.headers.get("authorization") !== `Bearer ${opts.token}`) {
      return json(401, { error: "Unauthorized" });
    }
    if (!isHttpUrl(destination)) {
      return json(400, { error: `invalid destination url: ${destination || "(empty)"}` });
    }
    const headers = Object.fromEntries(req.headers);
    const parsed = parsePublishHeaders(headers);
    if (typeof parsed === "string") return json(400, { error: parsed });
    const raw = new Uint8Array(await req.arrayBuffer());
    const now = Date.now();

    const contentBased = headers["upstash-content-based-deduplication"] === "true";
    const dedupeId = headers["upstash-deduplication-id"] ??
      (contentBased ? await contentHash(destination, headers, raw) : undefined);
    const known = dedupeId === undefined ? undefined : dedupe.get(dedupeId);
    const msg: PublishedMessage = {
      messageId: known ?? randomId("msg_"),
      destination,
      method: headers["upstash-method"] ?? "POST",
      headers,
      body: new TextDecoder().decode(raw),
      contentType: headers["content-type"],
      ...parsed,
      dedupeId,
      deduplicated: known !== undefined,
      callerIp,
      publishedAt: now,
    };
    published.push(msg);
    // A duplicate is accepted but not enqueued: same id back, 202 instead of 201.
    if (known !== undefined) return json(202, { messageId: known, url: destination, deduplicated: true });
    if (dedupeId !== undefined) dedupe.set(dedupeId, msg.messageId);

    // Not-Before wins over Delay when both are sent (publish API docs).
    const dueAt = msg.notBefore !== undefined ? msg.notBefore * 1000 : now + (msg.delaySeconds ?? 0) * 1000;
    raws.set(msg.messageId, { msg, raw });
    const run = deliver(msg, raw, dueAt).finally(() => active.delete(run));
    active.add(run);
    return json(201, { messageId: msg.messageId, url: destination });
  }

  // onListen replaces Deno's "Listening on" log line and tells us the socket is bound.
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => listening.resolve() },
    (req, info) => {
      const { pathname, search } = new URL(req.url);
      // The SDK joins the destination onto the path unencoded, so its own query string lands in
      // ours: the destination is everything after the prefix, query included.
      if (pathname.startsWith("/v2/publish/")) {
        return publish(req, pathname.slice("/v2/publish/".length) + search, info.remoteAddr.hostname);
      }
      if (pathname === "/v2/keys" && req.method === "GET") {
        if (req.headers.get("authorization") !== `Bearer ${opts.token}`) {
          return json(401, { error: "Unauthorized" });
        }
        return json(200, { current: opts.currentSigningKey, next: opts.nextSigningKey });
      }
      return json(404, { error: "not found" });
    },
  );
  await listening.promise;

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    published,
    deliveries,
    sign,
    redeliver(messageId) {
      const known = raws.get(messageId);
      if (!known) return Promise.reject(new Error(`no message ${messageId}`));
      const first = Promise.withResolvers<Delivery>();
      const run = deliver(known.msg, known.raw, Date.now(), first.resolve).finally(() => active.delete(run));
      active.add(run);
      return first.promise;
    },
    pause() {
      paused ??= Promise.withResolvers<void>();
    },
    resume() {
      paused?.resolve();
      paused = undefined;
    },
    setSigningKey(which) {
      signWith = which;
    },
    async waitForIdle(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      // Loop because a delivery's handler may publish more messages while we wait.
      while (active.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`QStash stand-in still busy after ${timeoutMs} ms (${active.size} messages)`);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.allSettled([...active]),
          new Promise((resolve) => timer = setTimeout(resolve, left)),
        ]);
        clearTimeout(timer);
      }
    },
    async close() {
      closing.abort();
      paused?.resolve();
      await Promise.allSettled([...active]);
      await server.shutdown();
    },
  };
}

/** The `Upstash-Delay`, `Upstash-Not-Before` and `Upstash-Retries` values, or an error message. */
function parsePublishHeaders(
  headers: Record<string, string>,
): Pick<PublishedMessage, "delaySeconds" | "notBefore" | "retries"> | string {
  let delaySeconds: number | undefined;
  const delay = headers["upstash-delay"];
  if (delay !== undefined) {
    // Documented format: an integer and one of s, m, h, d ("50s", "3m", "10h", "1d").
    const m = /^(\d+)([smhd])$/.exec(delay);
    if (!m) return `invalid Upstash-Delay: ${delay}`;
    delaySeconds = Number(m[1]) * DURATION_UNIT_SECONDS[m[2]];
  }
  let notBefore: number | undefined;
  const nb = headers["upstash-not-before"];
  if (nb !== undefined) {
    if (!/^\d+$/.test(nb)) return `invalid Upstash-Not-Before: ${nb}`;
    notBefore = Number(nb);
  }
  let retries = DEFAULT_RETRIES;
  const r = headers["upstash-retries"];
  if (r !== undefined) {
    if (!/^\d+$/.test(r)) return `invalid Upstash-Retries: ${r}`;
    retries = Number(r);
  }
  return { delaySeconds, notBefore, retries };
}

/**
 * The JWT QStash puts in `Upstash-Signature`: HS256 over the signing key's UTF-8 bytes (the key
 * string itself, not base64-decoded), `sub` = destination, `body` = SHA-256 of the raw body.
 */
async function signDelivery(
  key: string,
  url: string,
  body: string | Uint8Array,
  expiresInSeconds = SIGNATURE_LIFETIME_SECONDS,
  issuer = "Upstash",
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ body: await sha256Base64UrlPadded(body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(issuer)
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + expiresInSeconds)
    .setJti(randomId("jwt_"))
    .sign(new TextEncoder().encode(key));
}

/**
 * QStash's `body` claim uses the URL-safe alphabet but keeps the `=` padding (see the docs'
 * example token); the Receiver strips padding on both sides, so either form verifies.
 */
async function sha256Base64UrlPadded(body: string | Uint8Array): Promise<string> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return btoa(String.fromCharCode(...digest)).replaceAll("+", "-").replaceAll("/", "_");
}

/** Content-based dedupe id: destination, body, Content-Type and forwarded headers (dedupe docs). */
async function contentHash(
  destination: string,
  headers: Record<string, string>,
  raw: Uint8Array,
): Promise<string> {
  const relevant = Object.entries(headers)
    .filter(([name]) => name === "content-type" || name.startsWith("upstash-forward-"))
    .sort(([a], [b]) => a.localeCompare(b));
  const prefix = new TextEncoder().encode(JSON.stringify([destination, relevant]) + "\n");
  const all = new Uint8Array(prefix.length + raw.length);
  all.set(prefix);
  all.set(raw, prefix.length);
  return "content:" + await sha256Base64UrlPadded(all);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

const ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(28));
  return prefix + Array.from(bytes, (b) => ID_CHARS[b % ID_CHARS.length]).join("");
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** setTimeout as a promise that settles early (without throwing) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
