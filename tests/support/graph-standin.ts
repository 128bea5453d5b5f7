/**
 * A local stand-in for Meta's WhatsApp Cloud API (Graph API), so our adapter can be tested against
 * the wire format in section A of the shared reference notes (whatsapp-anchors.md):
 *
 * - `POST /{version}/{phone-number-id}/messages`: sends (A.2 bodies, A.4 limits, A.3 answer) and
 *   mark-as-read (`{"status":"read","message_id":…}` → `{"success":true}`);
 * - `GET /{version}/{phone-number-id}[?fields=…]`: the phone number node;
 * - Graph error envelopes (A.5) for bad tokens, unknown ids, invalid bodies and injected failures;
 * - signed webhooks out (A.6.2) and builders for the A.6.3 / A.6.4 envelopes.
 *
 * Order of checks: path/version → access token → object id → body → injected failure, so a bad
 * body neither succeeds nor uses up a `failNext`.
 * Not modelled: media upload/download, templates management, throughput and pair-rate limits
 * (inject 130429 / 131056 with `failNext` instead), the customer-service window (inject 131047).
 */

export type QualityRating = "GREEN" | "YELLOW" | "RED" | "UNKNOWN";
export type MessagingLimitTier =
  | "TIER_50"
  | "TIER_250"
  | "TIER_1K"
  | "TIER_2K"
  | "TIER_10K"
  | "TIER_100K"
  | "TIER_UNLIMITED";

export interface GraphNumber {
  phoneNumberId: string;
  /** The token the adapter must send as `Authorization: Bearer <token>` for this number. */
  accessToken: string;
  displayPhoneNumber: string;
  verifiedName: string;
  qualityRating?: QualityRating;
  messagingLimitTier?: MessagingLimitTier;
  wabaId?: string;
}

export interface GraphStandInOptions {
  port?: number;
  /** The only version segment served. Default "v23.0". */
  version?: string;
}

export interface GraphRecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string including "?", or "". */
  query: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body was JSON, else the raw text (undefined when empty). */
  body: unknown;
}

/** One accepted send. */
export interface GraphSentMessage {
  phoneNumberId: string;
  wamid: string;
  /** `to` exactly as sent. */
  to: string;
  /** Digits of `to`, what the answer reports as `wa_id`. */
  waId: string;
  type: MessageType;
  body: Record<string, unknown>;
  at: number;
}

/** One accepted mark-as-read. */
export interface GraphReadReceipt {
  phoneNumberId: string;
  messageId: string;
  typingIndicator: boolean;
  at: number;
}

/** An injected Meta error. Known codes get Meta's title, details and HTTP status by default. */
export interface GraphFailure {
  code: number;
  title?: string;
  details?: string;
  httpStatus?: number;
  errorSubcode?: number;
  /** For `failNext`: how many consecutive sends fail. Default 1. */
  times?: number;
}

export interface GraphWebhookDelivery {
  url: string;
  /** The exact bytes sent (as text). */
  body: string;
  signature256: string;
  status: number;
}

export interface WebhookDeliveryOptions {
  /** Write `/` as `\/` too. Default false; non-ASCII is always `\uXXXX`-escaped like Meta. */
  escapeSlashes?: boolean;
  /** Extra headers, e.g. to tamper with the signature in a negative test. */
  headers?: Record<string, string>;
}

export interface GraphStandIn {
  /** Base URL; the adapter calls `${url}/${version}/…`. */
  url: string;
  version: string;
  requests: GraphRecordedRequest[];
  sent: GraphSentMessage[];
  reads: GraphReadReceipt[];
  webhookDeliveries: GraphWebhookDelivery[];
  /** Registers (or replaces) a business phone number. */
  addNumber(n: GraphNumber): void;
  /** The next `times` sends (any number, any recipient) fail with this error. Queued in order. */
  failNext(f: GraphFailure): void;
  /** Every send to this recipient (digits of `to`) fails until `clearFailures()`. */
  failFor(recipientDigits: string, f: GraphFailure): void;
  clearFailures(): void;
  /**
   * Marks an inbound wamid as received by a number, so mark-as-read accepts it. `deliverWebhook`
   * does this itself for every `messages[].id` it delivers.
   */
  markReceived(phoneNumberId: string, wamid: string): void;
  /** POSTs the payload, signed with `X-Hub-Signature-256` (and the legacy SHA-1 header). */
  deliverWebhook(
    url: string,
    payload: unknown,
    appSecret: string,
    opts?: WebhookDeliveryOptions,
  ): Promise<Response>;
  /** Meta's verification handshake (A.6.1): GET with hub.mode / hub.verify_token / hub.challenge. */
  verifyWebhook(url: string, verifyToken: string, challenge?: string): Promise<Response>;
  close(): Promise<void>;
}

export const MESSAGE_TYPES = [
  "text",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "location",
  "contacts",
  "interactive",
  "template",
  "reaction",
] as const;
export type MessageType = typeof MESSAGE_TYPES[number];

const MEDIA_TYPES = new Set<string>(["image", "audio", "video", "document", "sticker"]);
const CAPTIONED_MEDIA = new Set<string>(["image", "video", "document"]);

/** Titles, `error_data.details` and HTTP statuses Meta uses for the codes we inject (A.5). */
export const META_ERRORS: Record<number, { title: string; details: string; httpStatus: number }> = {
  100: { title: "Invalid parameter", details: "Invalid parameter", httpStatus: 400 },
  131008: {
    title: "Required parameter is missing",
    details: "Required parameter is missing",
    httpStatus: 400,
  },
  131009: { title: "Parameter value is not valid", details: "Parameter value is not valid", httpStatus: 400 },
  131047: {
    title: "Re-engagement message",
    details:
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    httpStatus: 400,
  },
  131026: {
    title: "Message undeliverable",
    details:
      "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.",
    httpStatus: 400,
  },
  130429: {
    title: "Rate limit hit",
    details: "Cloud API message throughput has been reached.",
    httpStatus: 429,
  },
  131056: {
    title: "(Business Account, Consumer Account) pair rate limit hit",
    details:
      "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
    httpStatus: 400,
  },
  // Title as logged from a real Meta answer (chatwoot/chatwoot#4995).
  132000: {
    title: "Number of parameters does not match the expected number of params",
    details: "body: number of localizable_params (0) does not match the expected number of params (1)",
    httpStatus: 400,
  },
  132001: {
    title: "Template name does not exist in the translation",
    details: "template name does not exist in the translation",
    httpStatus: 400,
  },
  131000: {
    title: "Something went wrong",
    details: "Message failed to send due to an unknown error.",
    httpStatus: 500,
  },
  2: {
    title: "Service temporarily unavailable",
    details: "Temporary due to downtime or due to being overloaded.",
    httpStatus: 503,
  },
  190: { title: "Access token has expired", details: "", httpStatus: 401 },
};

const ERROR_CODES_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

/** An error answer in Graph's envelope, thrown by the request handlers. */
class GraphError extends Error {
  constructor(readonly status: number, readonly body: { error: Record<string, unknown> }) {
    super(String(body.error.message));
  }
}

/**
 * Graph's error envelope. WhatsApp errors put the title in `message` as "(#code) title" and the
 * specifics in `error_data.details` (A.5); `fbtrace_id` is fresh per answer like Graph's.
 */
export function metaError(
  code: number,
  details: string,
  opts: { title?: string; message?: string; subcode?: number; transient?: boolean } = {},
): { error: Record<string, unknown> } {
  const title = opts.title ?? META_ERRORS[code]?.title ?? "Unknown error";
  const error: Record<string, unknown> = {
    message: opts.message ?? `(#${code}) ${title}`,
    type: "OAuthException",
    code,
  };
  if (details !== "") error.error_data = { messaging_product: "whatsapp", details };
  if (opts.subcode !== undefined) error.error_subcode = opts.subcode;
  if (opts.transient !== undefined) error.is_transient = opts.transient;
  error.fbtrace_id = randomString(23, ALNUM);
  return { error };
}

const invalid = (details: string) => new GraphError(400, metaError(100, details));
const missing = (details: string) => new GraphError(400, metaError(131008, details));

/** The 401 Graph answers for a token it cannot use (code 190, OAuthException). */
function tokenError(message: string, subcode?: number): GraphError {
  const body = metaError(190, "", { message, subcode });
  return new GraphError(401, body);
}

function unsupportedRequest(method: string, id: string): GraphError {
  return new GraphError(
    400,
    metaError(100, "", {
      message:
        `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      subcode: 33,
    }),
  );
}

/** The body of an injected failure, with Meta's texts for known codes. */
function injectedError(f: GraphFailure, sendBody: Record<string, unknown>): GraphError {
  const known = META_ERRORS[f.code];
  if (f.code === 190) {
    return new GraphError(
      f.httpStatus ?? 401,
      metaError(190, f.details ?? "", {
        message: f.title ??
          "Error validating access token: Session has expired on Tuesday, 01-Jul-25 12:00:00 PDT. The current time is Tuesday, 01-Jul-25 13:00:00 PDT.",
        subcode: f.errorSubcode ?? 463,
      }),
    );
  }
  if (f.code === 2) {
    // Graph's generic transient error keeps its classic message and flags itself transient.
    return new GraphError(
      f.httpStatus ?? 503,
      metaError(2, f.details ?? known.details, {
        message: f.title ?? "An unexpected error has occurred. Please retry your request later.",
        transient: true,
        subcode: f.errorSubcode,
      }),
    );
  }
  let details = f.details ?? known?.details ?? f.title ?? "Unknown error";
  if (f.code === 132001 && f.details === undefined) {
    // Meta names the template and language it could not find.
    const t = isObject(sendBody.template) ? sendBody.template : {};
    const lang = isObject(t.language) ? t.language.code : undefined;
    details = `template name (${String(t.name ?? "")}) does not exist in ${String(lang ?? "")}`;
  }
  return new GraphError(
    f.httpStatus ?? known?.httpStatus ?? 400,
    metaError(f.code, details, { title: f.title, subcode: f.errorSubcode }),
  );
}

export async function startGraphStandIn(opts: GraphStandInOptions = {}): Promise<GraphStandIn> {
  const version = opts.version ?? "v23.0";
  const numbers = new Map<string, GraphNumber>();
  const received = new Map<string, Set<string>>(); // phone number id -> inbound wamids
  const requests: GraphRecordedRequest[] = [];
  const sent: GraphSentMessage[] = [];
  const reads: GraphReadReceipt[] = [];
  const webhookDeliveries: GraphWebhookDelivery[] = [];
  const nextFailures: { failure: GraphFailure; remaining: number }[] = [];
  const recipientFailures = new Map<string, GraphFailure>();

  const markReceived = (phoneNumberId: string, wamid: string) => {
    let set = received.get(phoneNumberId);
    if (!set) received.set(phoneNumberId, set = new Set());
    set.add(wamid);
  };

  /** Token first, then the object: a valid token for another number still cannot see this one. */
  const authorize = (req: Request, id: string): GraphNumber => {
    const auth = req.headers.get("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw tokenError("Invalid OAuth access token - Cannot parse access token");
    const token = m[1];
    const number = numbers.get(id);
    if (number?.accessToken === token) return number;
    // Some registered number's token on an unknown id: the node does not exist for that token.
    if (!number && [...numbers.values()].some((n) => n.accessToken === token)) {
      throw unsupportedRequest(req.method, id);
    }
    // Unknown token, or another number's token on a registered number (our adapter used the
    // wrong tenant's credentials): answered as an invalid token.
    throw tokenError(
      "Error validating access token: The session is invalid because the user logged out.",
      467,
    );
  };

  const takeFailure = (waId: string): GraphFailure | undefined => {
    const forRecipient = recipientFailures.get(waId);
    if (forRecipient) return forRecipient;
    const next = nextFailures[0];
    if (!next) return undefined;
    if (--next.remaining <= 0) nextFailures.shift();
    return next.failure;
  };

  const postMessages = (number: GraphNumber, body: unknown): Response => {
    if (!isObject(body)) throw invalid("Request body must be a JSON object");
    if (body.messaging_product === undefined) throw missing("The parameter messaging_product is required.");
    if (body.messaging_product !== "whatsapp") {
      throw invalid(
        `Param messaging_product must be one of {WHATSAPP} - got ${JSON.stringify(body.messaging_product)}.`,
      );
    }
    if (body.status !== undefined) return markRead(number, body);

    const { to, waId, type } = validateSend(body);
    const failure = takeFailure(waId);
    if (failure) throw injectedError(failure, body);

    const wamid = newWamid(waId, "out");
    sent.push({ phoneNumberId: number.phoneNumberId, wamid, to, waId, type, body, at: Date.now() });
    return json(200, {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: waId }],
      messages: [{ id: wamid }],
    });
  };

  const markRead = (number: GraphNumber, body: Record<string, unknown>): Response => {
    if (body.status !== "read") {
      throw invalid(`Param status must be one of {READ} - got ${JSON.stringify(body.status)}.`);
    }
    if (body.message_id === undefined) throw missing("The parameter message_id is required.");
    if (typeof body.message_id !== "string") throw invalid("Param message_id must be a string.");
    let typingIndicator = false;
    if (body.typing_indicator !== undefined) {
      const ti = body.typing_indicator;
      if (!isObject(ti) || ti.type !== "text") {
        throw invalid(`Param typing_indicator['type'] must be one of {TEXT}.`);
      }
      typingIndicator = true;
    }
    if (!received.get(number.phoneNumberId)?.has(body.message_id)) {
      throw new GraphError(400, metaError(131009, "Message ID is not valid or does not exist."));
    }
    reads.push({
      phoneNumberId: number.phoneNumberId,
      messageId: body.message_id,
      typingIndicator,
      at: Date.now(),
    });
    return json(200, { success: true });
  };

  const getNumber = (number: GraphNumber, fieldsParam: string | null): Response => {
    const all: Record<string, unknown> = {
      verified_name: number.verifiedName,
      code_verification_status: "VERIFIED",
      display_phone_number: number.displayPhoneNumber,
      quality_rating: number.qualityRating ?? "GREEN",
      platform_type: "CLOUD_API",
      throughput: { level: "STANDARD" },
      messaging_limit_tier: number.messagingLimitTier,
      name_status: "APPROVED",
      account_mode: "LIVE",
      is_official_business_account: false,
      status: "CONNECTED",
      id: number.phoneNumberId,
    };
    const defaults = [
      "verified_name",
      "code_verification_status",
      "display_phone_number",
      "quality_rating",
      "platform_type",
      "throughput",
      "messaging_limit_tier",
    ];
    const wanted = fieldsParam === null
      ? defaults
      : fieldsParam.split(",").map((f) => f.trim()).filter(Boolean);
    const out: Record<string, unknown> = {};
    for (const f of wanted) {
      if (!(f in all)) {
        throw new GraphError(
          400,
          metaError(100, "", {
            message:
              `(#100) Tried accessing nonexisting field (${f}) on node type (WhatsAppBusinessPhoneNumber)`,
          }),
        );
      }
      // Graph leaves unset fields out rather than sending null.
      if (all[f] !== undefined && f !== "id") out[f] = all[f];
    }
    out.id = number.phoneNumberId; // Graph always appends the node id
    return json(200, out);
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    let body: unknown = text === "" ? undefined : text;
    let parsed = text === "";
    if (!parsed) {
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch { /* kept as text; a send answers "invalid parameter" */ }
    }
    requests.push({
      method: req.method,
      path: url.pathname,
      query: url.search,
      headers: Object.fromEntries(req.headers),
      body,
    });

    try {
      const parts = url.pathname.split("/").filter(Boolean);
      if (
        parts[0] !== version || parts.length < 2 || parts.length > 3 ||
        (parts[2] ?? "messages") !== "messages"
      ) {
        throw new GraphError(
          400,
          metaError(2500, "", { message: `Unknown path components: ${url.pathname}` }),
        );
      }
      const id = parts[1];
      const number = authorize(req, id);
      if (parts.length === 3) {
        if (req.method !== "POST") throw unsupportedRequest(req.method, id);
        if (!parsed) throw invalid("Request body must be valid JSON");
        return postMessages(number, body);
      }
      if (req.method !== "GET") throw unsupportedRequest(req.method, id);
      return getNumber(number, url.searchParams.get("fields"));
    } catch (err) {
      if (err instanceof GraphError) {
        const headers: Record<string, string> = {};
        if (err.status === 401) {
          headers["www-authenticate"] = `OAuth "Facebook Platform" "invalid_token" "${err.message}"`;
        }
        return json(err.status, err.body, headers);
      }
      throw err;
    }
  };

  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => listening.resolve() },
    handle,
  );
  await listening.promise;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    version,
    requests,
    sent,
    reads,
    webhookDeliveries,
    addNumber(n) {
      numbers.set(n.phoneNumberId, { ...n });
    },
    failNext(f) {
      nextFailures.push({ failure: f, remaining: f.times ?? 1 });
    },
    failFor(recipientDigits, f) {
      recipientFailures.set(digitsOf(recipientDigits), f);
    },
    clearFailures() {
      nextFailures.length = 0;
      recipientFailures.clear();
    },
    markReceived,
    async deliverWebhook(url, payload, appSecret, o = {}) {
      const body = typeof payload === "string" ? payload : serializeWebhookPayload(payload, o);
      for (const [phoneNumberId, wamid] of inboundIds(payload)) markReceived(phoneNumberId, wamid);
      const signature256 = await signWebhookBody(body, appSecret);
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "facebookexternalua",
          "x-hub-signature": await signWebhookBody(body, appSecret, "SHA-1"),
          "x-hub-signature-256": signature256,
          ...o.headers,
        },
        body,
      });
      webhookDeliveries.push({ url, body, signature256, status: res.status });
      return res;
    },
    verifyWebhook(url, verifyToken, challenge = String(Math.floor(Math.random() * 1e9))) {
      const u = new URL(url);
      u.searchParams.set("hub.mode", "subscribe");
      u.searchParams.set("hub.challenge", challenge);
      u.searchParams.set("hub.verify_token", verifyToken);
      return fetch(u);
    },
    close() {
      closing ??= server.shutdown();
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Send-body validation (A.2 shapes, A.4 limits)

function validateSend(body: Record<string, unknown>): { to: string; waId: string; type: MessageType } {
  if (body.to === undefined) throw missing("The parameter to is required.");
  if (typeof body.to !== "string") throw invalid("Param to must be a string.");
  const waId = digitsOf(body.to);
  if (waId === "") throw invalid(`Param to is not a valid phone number: ${JSON.stringify(body.to)}.`);
  if (
    body.recipient_type !== undefined && body.recipient_type !== "individual" &&
    body.recipient_type !== "group"
  ) {
    throw invalid(
      `Param recipient_type must be one of {INDIVIDUAL, GROUP} - got ${JSON.stringify(body.recipient_type)}.`,
    );
  }
  if (body.context !== undefined) {
    if (!isObject(body.context)) throw invalid("Param context must be an object.");
    if (typeof body.context.message_id !== "string") {
      throw missing("The parameter context['message_id'] is required.");
    }
  }
  const type = body.type ?? "text";
  if (typeof type !== "string" || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw invalid(`Param type must be one of {${MESSAGE_TYPES.join(", ")}} - got ${JSON.stringify(type)}.`);
  }
  const obj = body[type];
  if (obj === undefined) throw missing(`The parameter ${type} is required.`);
  if (!isObject(obj) && !(type === "contacts" && Array.isArray(obj))) {
    throw invalid(`Param ${type} must be ${type === "contacts" ? "an array" : "an object"}.`);
  }
  const t = type as MessageType;
  if (t === "text") validateText(obj as Record<string, unknown>);
  else if (MEDIA_TYPES.has(t)) validateMedia(t, obj as Record<string, unknown>);
  else if (t === "location") validateLocation(obj as Record<string, unknown>);
  else if (t === "contacts") validateContacts(obj);
  else if (t === "interactive") validateInteractive(obj as Record<string, unknown>);
  else if (t === "template") validateTemplate(obj as Record<string, unknown>);
  else if (t === "reaction") validateReaction(obj as Record<string, unknown>);
  return { to: body.to, waId, type: t };
}

/** Required string with a maximum length in UTF-16 units, like Meta's `maxLength`. */
function requireString(v: unknown, name: string, max?: number): string {
  if (v === undefined || v === null) throw missing(`The parameter ${name} is required.`);
  if (typeof v !== "string") throw invalid(`Param ${name} must be a string.`);
  if (v.length === 0) throw missing(`The parameter ${name} is required.`);
  if (max !== undefined && v.length > max) {
    throw invalid(`Param ${name} must be at most ${max} characters long.`);
  }
  return v;
}

function optionalString(v: unknown, name: string, max: number): void {
  if (v === undefined) return;
  if (typeof v !== "string") throw invalid(`Param ${name} must be a string.`);
  if (v.length > max) throw invalid(`Param ${name} must be at most ${max} characters long.`);
}

function validateText(text: Record<string, unknown>): void {
  requireString(text.body, "text['body']", 4096);
  if (text.preview_url !== undefined && typeof text.preview_url !== "boolean") {
    throw invalid("Param text['preview_url'] must be a boolean.");
  }
}

function validateMedia(type: string, media: Record<string, unknown>): void {
  // Links are not checked for shape: Meta only fails on download, asynchronously (131053).
  const hasLink = typeof media.link === "string" && media.link !== "";
  const hasId = typeof media.id === "string" && media.id !== "";
  if (!hasLink && !hasId) throw missing(`The parameter ${type}['link'] or ${type}['id'] is required.`);
  if (media.caption !== undefined) {
    if (!CAPTIONED_MEDIA.has(type)) {
      throw invalid(`Param ${type}['caption'] is not supported for ${type} messages.`);
    }
    optionalString(media.caption, `${type}['caption']`, 1024);
  }
  if (media.filename !== undefined && type !== "document") {
    throw invalid(`Param ${type}['filename'] is only supported for document messages.`);
  }
}

function validateLocation(loc: Record<string, unknown>): void {
  for (const k of ["latitude", "longitude"]) {
    if (loc[k] === undefined) throw missing(`The parameter location['${k}'] is required.`);
    if (typeof loc[k] !== "number" && !(typeof loc[k] === "string" && Number.isFinite(Number(loc[k])))) {
      throw invalid(`Param location['${k}'] must be a number.`);
    }
  }
}

function validateContacts(contacts: unknown): void {
  if (!Array.isArray(contacts) || contacts.length === 0) throw missing("The parameter contacts is required.");
  contacts.forEach((c, i) => {
    if (!isObject(c) || !isObject(c.name)) throw missing(`The parameter contacts[${i}]['name'] is required.`);
    requireString(c.name.formatted_name, `contacts[${i}]['name']['formatted_name']`);
  });
}

function validateInteractive(it: Record<string, unknown>): void {
  const kinds = [
    "button",
    "list",
    "cta_url",
    "flow",
    "product",
    "product_list",
    "catalog_message",
    "location_request_message",
  ];
  if (it.type === undefined) throw missing("The parameter interactive['type'] is required.");
  if (typeof it.type !== "string" || !kinds.includes(it.type)) {
    throw invalid(
      `Param interactive['type'] must be one of {${kinds.join(", ")}} - got ${JSON.stringify(it.type)}.`,
    );
  }
  if (it.header !== undefined) {
    if (!isObject(it.header)) throw invalid("Param interactive['header'] must be an object.");
    if (it.header.type === undefined) {
      throw missing("The parameter interactive['header']['type'] is required.");
    }
    if (it.header.type === "text") requireString(it.header.text, "interactive['header']['text']", 60);
  }
  if (it.body === undefined) {
    if (it.type === "button" || it.type === "list") {
      throw missing("The parameter interactive['body'] is required.");
    }
  } else {
    if (!isObject(it.body)) throw invalid("Param interactive['body'] must be an object.");
    requireString(it.body.text, "interactive['body']['text']", 1024);
  }
  if (it.footer !== undefined) {
    if (!isObject(it.footer)) throw invalid("Param interactive['footer'] must be an object.");
    requireString(it.footer.text, "interactive['footer']['text']", 60);
  }
  if (it.action === undefined && it.type !== "location_request_message") {
    throw missing("The parameter interactive['action'] is required.");
  }
  const action = isObject(it.action) ? it.action : {};
  if (it.type === "button") validateButtons(action);
  if (it.type === "list") validateList(action);
}

function validateButtons(action: Record<string, unknown>): void {
  const buttons = action.buttons;
  if (buttons === undefined) throw missing("The parameter interactive['action']['buttons'] is required.");
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
    throw invalid("Param interactive['action']['buttons'] must have between 1 and 3 items.");
  }
  const titles = new Set<string>();
  const ids = new Set<string>();
  buttons.forEach((b, i) => {
    const at = `interactive['action']['buttons'][${i}]`;
    if (!isObject(b)) throw invalid(`Param ${at} must be an object.`);
    if (b.type !== "reply") {
      throw invalid(`Param ${at}['type'] must be one of {REPLY} - got ${JSON.stringify(b.type)}.`);
    }
    if (!isObject(b.reply)) throw missing(`The parameter ${at}['reply'] is required.`);
    const id = requireString(b.reply.id, `${at}['reply']['id']`, 256);
    const title = requireString(b.reply.title, `${at}['reply']['title']`, 20);
    if (titles.has(title)) {
      throw invalid(`Button titles must be unique: ${JSON.stringify(title)} is used twice.`);
    }
    if (ids.has(id)) throw invalid(`Button ids must be unique: ${JSON.stringify(id)} is used twice.`);
    titles.add(title);
    ids.add(id);
  });
}

function validateList(action: Record<string, unknown>): void {
  requireString(action.button, "interactive['action']['button']", 20);
  const sections = action.sections;
  if (sections === undefined) throw missing("The parameter interactive['action']['sections'] is required.");
  if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) {
    throw invalid("Param interactive['action']['sections'] must have between 1 and 10 items.");
  }
  let rowCount = 0;
  const rowIds = new Set<string>();
  sections.forEach((s, i) => {
    const at = `interactive['action']['sections'][${i}]`;
    if (!isObject(s)) throw invalid(`Param ${at} must be an object.`);
    if (sections.length > 1) requireString(s.title, `${at}['title']`, 24);
    else optionalString(s.title, `${at}['title']`, 24);
    if (!Array.isArray(s.rows) || s.rows.length === 0) {
      throw missing(`The parameter ${at}['rows'] is required.`);
    }
    s.rows.forEach((r: unknown, j: number) => {
      const rat = `${at}['rows'][${j}]`;
      if (!isObject(r)) throw invalid(`Param ${rat} must be an object.`);
      const id = requireString(r.id, `${rat}['id']`, 200);
      requireString(r.title, `${rat}['title']`, 24);
      optionalString(r.description, `${rat}['description']`, 72);
      if (rowIds.has(id)) throw invalid(`Row ids must be unique: ${JSON.stringify(id)} is used twice.`);
      rowIds.add(id);
    });
    rowCount += s.rows.length;
  });
  // Meta's list page: "up to 10 rows for all sections combined".
  if (rowCount > 10) {
    throw invalid(`A list message can have at most 10 rows across all sections, got ${rowCount}.`);
  }
}

function validateTemplate(t: Record<string, unknown>): void {
  requireString(t.name, "template['name']", 512);
  if (!isObject(t.language)) throw missing("The parameter template['language'] is required.");
  requireString(t.language.code, "template['language']['code']");
  if (t.components !== undefined) {
    if (!Array.isArray(t.components)) throw invalid("Param template['components'] must be an array.");
    t.components.forEach((c: unknown, i: number) => {
      const at = `template['components'][${i}]`;
      if (!isObject(c)) throw invalid(`Param ${at} must be an object.`);
      if (!["header", "body", "button", "footer"].includes(String(c.type))) {
        throw invalid(
          `Param ${at}['type'] must be one of {HEADER, BODY, BUTTON} - got ${JSON.stringify(c.type)}.`,
        );
      }
      if (c.type === "button") {
        if (c.sub_type === undefined) throw missing(`The parameter ${at}['sub_type'] is required.`);
        if (c.index === undefined) throw missing(`The parameter ${at}['index'] is required.`);
      }
    });
  }
}

function validateReaction(r: Record<string, unknown>): void {
  requireString(r.message_id, "reaction['message_id']");
  // An empty emoji removes the reaction, so only presence and type are checked.
  if (r.emoji === undefined) throw missing("The parameter reaction['emoji'] is required.");
  if (typeof r.emoji !== "string") throw invalid("Param reaction['emoji'] must be a string.");
}

// ---------------------------------------------------------------------------------------------
// Webhooks (A.6)

/**
 * Compact JSON as Meta sends it: no spaces, non-ASCII as `\uXXXX` (surrogate pairs for emoji), so
 * a receiver that re-serialises parsed JSON computes a different signature, as it would in prod.
 */
export function serializeWebhookPayload(payload: unknown, opts: { escapeSlashes?: boolean } = {}): string {
  let s = JSON.stringify(payload).replace(
    /[\u0080-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
  if (opts.escapeSlashes) s = s.replaceAll("/", "\\/");
  return s;
}

/** `sha256=<hex>` (or `sha1=<hex>`): HMAC of the exact body bytes keyed with the app secret. */
export async function signWebhookBody(
  body: string | Uint8Array,
  appSecret: string,
  hash: "SHA-256" | "SHA-1" = "SHA-256",
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(appSecret),
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as Uint8Array<ArrayBuffer>));
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hash === "SHA-256" ? "sha256" : "sha1"}=${hex}`;
}

export interface WebhookMetadataInput {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

export interface InboundTextInput extends WebhookMetadataInput {
  /** The user's wa_id (digits). */
  from: string;
  /** The user's profile name. */
  name: string;
  text: string;
  /** Default: a fresh inbound-style wamid. */
  wamid?: string;
  /** Unix seconds; default now. Sent as a string like Meta. */
  timestamp?: string | number;
}

/**
 * The "Text" envelope of A.6.3, keys in Meta's order, so the same values reproduce Meta's bytes
 * (and the A.6.2 conformance signature).
 */
export function inboundTextPayload(i: InboundTextInput) {
  return {
    object: "whatsapp_business_account",
    entry: [{
      id: i.wabaId,
      changes: [{
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: i.displayPhoneNumber, phone_number_id: i.phoneNumberId },
          contacts: [{ profile: { name: i.name }, wa_id: i.from }],
          messages: [{
            from: i.from,
            id: i.wamid ?? newWamid(i.from, "in"),
            timestamp: String(i.timestamp ?? nowSeconds()),
            type: "text",
            text: { body: i.text },
          }],
        },
        field: "messages",
      }],
    }],
  };
}

export type WebhookStatus = "sent" | "delivered" | "read" | "played" | "failed";

export interface StatusInput extends WebhookMetadataInput {
  wamid: string;
  recipientId: string;
  status: WebhookStatus;
  timestamp?: string | number;
  /** For `failed`; default the 131047 error. Titles/details default from `META_ERRORS`. */
  error?: { code: number; title?: string; message?: string; details?: string };
  /**
   * PMP pricing for `sent`/`delivered`; default a free service reply on `sent` and a billable
   * marketing template on `delivered` (the A.6.4 examples). `false` leaves it out.
   */
  pricing?: { billable: boolean; category: string; type: string } | false;
  /** Conversation block on `sent`; `false` leaves it out (it is optional under PMP). */
  conversation?: { id?: string; originType?: string } | false;
}

/**
 * A status envelope shaped like A.6.4: `sent` carries `conversation` and `pricing`, `delivered`
 * only `pricing`, `read`/`played` neither, `failed` only `errors` (with Meta's `href`).
 */
export function statusPayload(i: StatusInput) {
  const timestamp = String(i.timestamp ?? nowSeconds());
  const status: Record<string, unknown> = {
    id: i.wamid,
    status: i.status,
    timestamp,
    recipient_id: i.recipientId,
  };
  if (i.status === "sent" && i.conversation !== false) {
    const pricing = i.pricing || undefined;
    status.conversation = {
      id: i.conversation?.id ?? randomString(32, "0123456789abcdef"),
      expiration_timestamp: String(Number(timestamp) + 86_400),
      origin: { type: i.conversation?.originType ?? pricing?.category ?? "service" },
    };
  }
  if ((i.status === "sent" || i.status === "delivered") && i.pricing !== false) {
    const dflt = i.status === "sent"
      ? { billable: false, category: "service", type: "free_customer_service" }
      : { billable: true, category: "marketing", type: "regular" };
    const p = i.pricing ?? dflt;
    status.pricing = { billable: p.billable, pricing_model: "PMP", category: p.category, type: p.type };
  }
  if (i.status === "failed") {
    const e = i.error ?? { code: 131047 };
    const title = e.title ?? META_ERRORS[e.code]?.title ?? "Unknown error";
    status.errors = [{
      code: e.code,
      title,
      message: e.message ?? title,
      error_data: { details: e.details ?? META_ERRORS[e.code]?.details ?? title },
      href: ERROR_CODES_HREF,
    }];
  }
  return {
    object: "whatsapp_business_account",
    entry: [{
      id: i.wabaId,
      changes: [{
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: i.displayPhoneNumber, phone_number_id: i.phoneNumberId },
          statuses: [status],
        },
        field: "messages",
      }],
    }],
  };
}

/** (phone number id, wamid) of every inbound message in a webhook payload. */
function inboundIds(payload: unknown): [string, string][] {
  const out: [string, string][] = [];
  let p = payload;
  if (typeof p === "string") {
    try {
      p = JSON.parse(p);
    } catch {
      return out;
    }
  }
  if (!isObject(p) || !Array.isArray(p.entry)) return out;
  for (const entry of p.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes) {
      const value = isObject(change) && isObject(change.value) ? change.value : undefined;
      const id = value && isObject(value.metadata) ? value.metadata.phone_number_id : undefined;
      if (typeof id !== "string" || !Array.isArray(value?.messages)) continue;
      for (const m of value.messages) if (isObject(m) && typeof m.id === "string") out.push([id, m.id]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * A wamid laid out like real ones: base64 of a small thrift-style record holding the user's
 * digits and a hex message id (18 chars for outbound, 20 for inbound), as decoded from Meta's
 * own examples.
 */
export function newWamid(userDigits: string, direction: "out" | "in"): string {
  const digits = new TextEncoder().encode(digitsOf(userDigits).slice(0, 120));
  const idLen = direction === "out" ? 18 : 20;
  const hex = new TextEncoder().encode(randomString(idLen, "0123456789ABCDEF"));
  const bytes = new Uint8Array([
    0x1c,
    0x18,
    digits.length,
    ...digits,
    0x15,
    0x02,
    0x00,
    direction === "out" ? 0x11 : 0x12,
    0x18,
    idLen,
    ...hex,
    0x00,
  ]);
  return "wamid." + btoa(String.fromCharCode(...bytes));
}

export function digitsOf(s: string): string {
  return s.replace(/\D/g, "");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function randomString(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...headers },
  });
}
