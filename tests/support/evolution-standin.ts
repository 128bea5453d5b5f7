/**
 * A local stand-in for Evolution API v2 (Baileys engine), following section B of the shared
 * reference notes (whatsapp-anchors.md) and the v2.3.x sources they cite:
 *
 * - guards in Evolution's order: unknown route → 404 `Cannot <METHOD> <url>`; unknown instance →
 *   404 (before any key check, as `instanceExistsGuard` runs first); bad `apikey` → 401;
 * - the JSON-schema checks of `message.schema.ts`, with jsonschema's messages, answered like
 *   `dataValidate` does: 400 and the list of messages *nested in another array*
 *   (`{"response":{"message":[["instance requires property \"text\""]]}}`);
 * - controller-level checks (flat list): "Text is required", "Owned media must be a url or base64",
 *   the reply-button rules of `buttonMessage`;
 * - sends on an instance that is not `open` fail like v2.3.6 does when Baileys' socket is gone:
 *   400 `["Error: Connection Closed"]` (the v2.2/2.3.1 variant, a 500 with the bare string, is
 *   available with `closedSendStatus: 500`);
 * - 201 send answers `{key, message, messageTimestamp, status: "PENDING"}` with the `*Message`
 *   object Baileys builds for each action;
 * - webhook envelopes of `WebhookController.emit` for the B.5 events.
 *
 * Not modelled: instance create/delete/fetch, media upload to a CDN (media fields are
 * well-formed fakes), automatic SEND_MESSAGE/MESSAGES_UPDATE emission after a send (drive those
 * with `deliverWebhook`), the WHATSAPP-BUSINESS engine.
 */

export type EvolutionState = "open" | "connecting" | "close" | "refused";

export interface EvolutionInstanceInput {
  name: string;
  /** The instance token (`hash`), accepted as `apikey` for this instance only. */
  apiKey: string;
  /** Default "open". */
  state?: EvolutionState;
  /** The connected number's JID, e.g. "5511999999999@s.whatsapp.net"; the webhook `sender`. */
  ownerJid?: string;
  /** Default: a fresh UUID. */
  instanceId?: string;
  profileName?: string;
}

export interface QrCode {
  pairingCode: string | null;
  code: string;
  base64: string;
  count: number;
}

export interface WebhookConfig {
  enabled: boolean;
  url: string;
  headers?: Record<string, string>;
  byEvents?: boolean;
  base64?: boolean;
  events?: string[];
}

export interface EvolutionInstance {
  name: string;
  apiKey: string;
  state: EvolutionState;
  ownerJid?: string;
  instanceId: string;
  profileName?: string;
  qrcode?: QrCode;
  webhook?: WebhookConfig;
}

export interface EvolutionStandInOptions {
  port?: number;
  /** `AUTHENTICATION_API_KEY`: accepted for every instance. Default: none. */
  globalApiKey?: string;
  /** How a send on a non-open instance fails; default 400 (v2.3.6). */
  closedSendStatus?: 400 | 500;
}

export interface EvolutionRecordedRequest {
  method: string;
  path: string;
  query: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
}

export const SEND_ACTIONS = [
  "sendText",
  "sendMedia",
  "sendWhatsAppAudio",
  "sendLocation",
  "sendContact",
  "sendButtons",
  "sendList",
  "sendReaction",
] as const;
export type SendAction = typeof SEND_ACTIONS[number];

export interface SendResponse {
  key: { remoteJid: string; fromMe: true; id: string };
  message: Record<string, unknown>;
  messageTimestamp: string;
  status: "PENDING";
}

export interface EvolutionSentMessage {
  instance: string;
  action: SendAction;
  body: Record<string, unknown>;
  response: SendResponse;
  at: number;
}

export interface EvolutionEnvelope<T = unknown> {
  event: string;
  instance: string;
  data: T;
  destination: string;
  date_time: string;
  sender: string | null;
  server_url: string;
  apikey: string | null;
}

/** Envelope fields `WebhookController.emit` adds around `data`. */
export interface EnvelopeFields {
  destination?: string;
  serverUrl?: string;
  sender?: string | null;
  apikey?: string | null;
  dateTime?: string;
  instanceId?: string;
}

export interface MessagesUpsertInput extends EnvelopeFields {
  instance: string;
  remoteJid: string;
  fromMe: boolean;
  id: string;
  pushName: string;
  text: string;
  /** Unix seconds; a number in this event (unlike the send answer). Default now. */
  timestamp?: number;
  status?: string;
  source?: "android" | "ios" | "web" | "desktop" | "unknown";
}

export interface MessagesUpsertImageInput extends Omit<MessagesUpsertInput, "text"> {
  caption?: string;
  mimetype?: string;
  /** With the webhook's `base64: true`, Evolution adds the media as `message.base64`. */
  base64?: string;
}

export type MessageUpdateStatus =
  | "ERROR"
  | "PENDING"
  | "SERVER_ACK"
  | "DELIVERY_ACK"
  | "READ"
  | "PLAYED"
  | "DELETED";

export interface MessagesUpdateInput extends EnvelopeFields {
  instance: string;
  keyId: string;
  remoteJid: string;
  fromMe: boolean;
  status: MessageUpdateStatus;
  /** Evolution's database id; default a fresh cuid-like id. */
  messageId?: string;
}

export interface ConnectionUpdateInput extends EnvelopeFields {
  instance: string;
  state: EvolutionState;
  /** Default 200, or 428 (Baileys' connectionClosed) for `close`. */
  statusReason?: number;
  wuid?: string;
  profileName?: string;
  profilePictureUrl?: string | null;
}

export interface QrcodeUpdatedInput extends EnvelopeFields {
  instance: string;
  code: string;
  base64: string;
  pairingCode?: string | null;
}

export interface EvolutionStandIn {
  url: string;
  requests: EvolutionRecordedRequest[];
  sent: EvolutionSentMessage[];
  reads: { instance: string; readMessages: unknown[] }[];
  webhookSets: { instance: string; body: unknown }[];
  addInstance(i: EvolutionInstanceInput): void;
  setState(name: string, state: EvolutionState): void;
  getInstance(name: string): EvolutionInstance | undefined;
  /** Sends to this number answer 400 `[{exists:false, jid, number}]`, like Baileys' onWhatsApp. */
  markNotOnWhatsApp(number: string): void;
  /** POSTs the envelope as JSON; headers default to the instance's configured webhook headers. */
  deliverWebhook(url: string, envelope: unknown, headers?: Record<string, string>): Promise<Response>;
  // The builders below fill sender, server_url, instanceId and destination from the instance.
  messagesUpsert(i: MessagesUpsertInput): EvolutionEnvelope;
  messagesUpsertImage(i: MessagesUpsertImageInput): EvolutionEnvelope;
  messagesUpdate(i: MessagesUpdateInput): EvolutionEnvelope;
  connectionUpdate(i: ConnectionUpdateInput): EvolutionEnvelope;
  qrcodeUpdated(i: QrcodeUpdatedInput): EvolutionEnvelope;
  close(): Promise<void>;
}

/** A valid 1×1 PNG; the stand-in's QR image (Evolution sends a real QR as a PNG data URL). */
export const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** Event names a webhook may subscribe to (`EventController.events`). */
export const WEBHOOK_EVENTS = [
  "APPLICATION_STARTUP",
  "QRCODE_UPDATED",
  "MESSAGES_SET",
  "MESSAGES_UPSERT",
  "MESSAGES_EDITED",
  "MESSAGES_UPDATE",
  "MESSAGES_DELETE",
  "SEND_MESSAGE",
  "SEND_MESSAGE_UPDATE",
  "CONTACTS_SET",
  "CONTACTS_UPSERT",
  "CONTACTS_UPDATE",
  "PRESENCE_UPDATE",
  "CHATS_SET",
  "CHATS_UPSERT",
  "CHATS_UPDATE",
  "CHATS_DELETE",
  "GROUPS_UPSERT",
  "GROUP_UPDATE",
  "GROUP_PARTICIPANTS_UPDATE",
  "CONNECTION_UPDATE",
  "LABELS_EDIT",
  "LABELS_ASSOCIATION",
  "CALL",
  "TYPEBOT_START",
  "TYPEBOT_CHANGE_STATUS",
  "REMOVE_INSTANCE",
  "LOGOUT_INSTANCE",
  "INSTANCE_CREATE",
  "INSTANCE_DELETE",
  "STATUS_INSTANCE",
];

// ---------------------------------------------------------------------------------------------
// Errors in Evolution's envelope: `{status, error, response: {message}}` from main.ts's handler.

class EvolutionError extends Error {
  constructor(readonly status: number, readonly error: string, readonly responseMessage: unknown) {
    super(error);
  }
}

const badRequest = (...messages: unknown[]) => new EvolutionError(400, "Bad Request", messages);
const notFound = (...messages: unknown[]) => new EvolutionError(404, "Not Found", messages);
/** `UnauthorizedException()` without arguments answers the bare string "Unauthorized". */
const unauthorized = () => new EvolutionError(401, "Unauthorized", "Unauthorized");

// ---------------------------------------------------------------------------------------------
// A small JSON-schema subset with the messages of the `jsonschema` package Evolution uses.

export interface Schema {
  type?: "string" | "number" | "integer" | "boolean" | "object" | "array";
  enum?: readonly unknown[];
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  /** jsonschema reports this instead of its own text when set. */
  description?: string;
  /**
   * Evolution's `isNotEmpty(...names)`: an `if {propertyNames: {enum: names}} then {minLength: 1}`.
   * The `if` only holds when *every* key of the object is in `names`, so it rarely fires.
   */
  notEmpty?: string[];
}

function typeOk(v: unknown, t: NonNullable<Schema["type"]>): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
  }
}

/** Messages as `dataValidate` builds them: the description, else the stack minus "instance.". */
export function validateSchema(value: unknown, schema: Schema, path = "instance"): string[] {
  const out: string[] = [];
  const fail = (s: Schema, p: string, msg: string) =>
    out.push(s.description ?? `${p} ${msg}`.replace("instance.", ""));
  if (schema.type && !typeOk(value, schema.type)) fail(schema, path, `is not of a type(s) ${schema.type}`);
  if (schema.enum && !schema.enum.includes(value)) {
    fail(schema, path, `is not one of enum values: ${schema.enum.map(String).join(",")}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      fail(schema, path, `does not meet minimum length of ${schema.minLength}`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      fail(schema, path, `does not match pattern ${JSON.stringify(schema.pattern)}`);
    }
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      fail(schema, path, `must be greater than or equal to ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      fail(schema, path, `must be less than or equal to ${schema.maximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => out.push(...validateSchema(v, schema.items!, `${path}[${i}]`)));
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      fail(schema, path, `does not meet minimum length of ${schema.minItems}`);
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      fail(schema, path, `does not meet maximum length of ${schema.maxItems}`);
    }
    if (schema.uniqueItems) {
      const seen = new Set(value.map((v) => JSON.stringify(v)));
      if (seen.size !== value.length) fail(schema, path, "contains duplicate item");
    }
  }
  if (isObject(value)) {
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      if (value[k] !== undefined) out.push(...validateSchema(value[k], s, `${path}.${k}`));
    }
    for (const k of schema.required ?? []) {
      if (value[k] === undefined) fail({}, path, `requires property ${JSON.stringify(k)}`);
    }
    const names = schema.notEmpty;
    if (names && Object.keys(value).every((k) => names.includes(k))) {
      for (const k of names) {
        if (typeof value[k] === "string" && value[k].length < 1) out.push(`The "${k}" cannot be empty`);
      }
    }
  }
  return out;
}

// Schemas transcribed from src/validate/message.schema.ts and chat.schema.ts.
const numberProp: Schema = { type: "string", description: "Invalid format" };
const metadataProps: Record<string, Schema> = {
  delay: { type: "integer", description: "Enter a value in milliseconds" },
  quoted: {
    properties: {
      key: {
        type: "object",
        properties: { id: { type: "string" }, remoteJid: { type: "string" }, fromMe: { type: "boolean" } },
        required: ["id"],
        notEmpty: ["id"],
      },
      message: { type: "object" },
    },
  },
  mentionsEveryOne: { type: "boolean", enum: [true, false] },
  mentioned: {
    type: "array",
    minItems: 1,
    uniqueItems: true,
    items: {
      type: "string",
      pattern: "^\\d+",
      description: '"mentioned" must be an array of numeric strings',
    },
  },
};

const SCHEMAS: Record<SendAction, Schema> = {
  sendText: {
    type: "object",
    properties: {
      number: numberProp,
      text: { type: "string" },
      linkPreview: { type: "boolean" },
      ...metadataProps,
    },
    required: ["number", "text"],
  },
  sendMedia: {
    type: "object",
    properties: {
      number: numberProp,
      mediatype: { type: "string", enum: ["image", "document", "video", "audio"] },
      mimetype: { type: "string" },
      media: { type: "string" },
      fileName: { type: "string" },
      caption: { type: "string" },
      ...metadataProps,
    },
    required: ["number", "mediatype"],
  },
  sendWhatsAppAudio: {
    type: "object",
    properties: { number: numberProp, audio: { type: "string" }, ...metadataProps },
    required: ["number"],
  },
  sendLocation: {
    type: "object",
    properties: {
      number: numberProp,
      latitude: { type: "number" },
      longitude: { type: "number" },
      name: { type: "string" },
      address: { type: "string" },
      ...metadataProps,
    },
    required: ["number", "latitude", "longitude", "name", "address"],
  },
  sendContact: {
    type: "object",
    properties: {
      number: numberProp,
      contact: {
        type: "array",
        items: {
          type: "object",
          properties: {
            fullName: { type: "string" },
            wuid: {
              type: "string",
              minLength: 10,
              pattern: "\\d+",
              description: '"wuid" must be a numeric string',
            },
            phoneNumber: { type: "string", minLength: 10 },
            organization: { type: "string" },
            email: { type: "string" },
            url: { type: "string" },
          },
          required: ["fullName", "phoneNumber"],
          notEmpty: ["fullName"],
        },
        minItems: 1,
        uniqueItems: true,
      },
    },
    required: ["number", "contact"],
  },
  sendReaction: {
    type: "object",
    properties: {
      key: {
        type: "object",
        properties: {
          id: { type: "string" },
          remoteJid: { type: "string" },
          fromMe: { type: "boolean", enum: [true, false] },
        },
        required: ["id", "remoteJid", "fromMe"],
        notEmpty: ["id", "remoteJid"],
      },
      reaction: { type: "string" },
    },
    required: ["key", "reaction"],
  },
  sendList: {
    type: "object",
    properties: {
      number: numberProp,
      title: { type: "string" },
      description: { type: "string" },
      footerText: { type: "string" },
      buttonText: { type: "string" },
      sections: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: {
          type: "object",
          properties: {
            title: { type: "string" },
            rows: {
              type: "array",
              minItems: 1,
              uniqueItems: true,
              items: {
                type: "object",
                properties: {
                  title: { type: "string" },
                  description: { type: "string" },
                  rowId: { type: "string" },
                },
                required: ["title", "rowId"],
                notEmpty: ["title", "description", "rowId"],
              },
            },
          },
          required: ["title", "rows"],
          notEmpty: ["title"],
        },
      },
      ...metadataProps,
    },
    required: ["number", "title", "footerText", "buttonText", "sections"],
  },
  sendButtons: {
    type: "object",
    properties: {
      number: numberProp,
      thumbnailUrl: { type: "string" },
      title: { type: "string" },
      description: { type: "string" },
      footer: { type: "string" },
      buttons: {
        type: "array",
        items: {
          type: "object",
          properties: {
            type: { type: "string", enum: ["reply", "copy", "url", "call", "pix"] },
            displayText: { type: "string" },
            id: { type: "string" },
            url: { type: "string" },
            phoneNumber: { type: "string" },
            currency: { type: "string" },
            name: { type: "string" },
            keyType: { type: "string", enum: ["phone", "email", "cpf", "cnpj", "random"] },
            key: { type: "string" },
          },
          required: ["type"],
          notEmpty: ["id", "url", "phoneNumber"],
        },
      },
      ...metadataProps,
    },
    required: ["number"],
  },
};

const readMessageSchema: Schema = {
  type: "object",
  properties: {
    readMessages: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      items: {
        properties: {
          id: { type: "string" },
          fromMe: { type: "boolean", enum: [true, false] },
          remoteJid: { type: "string" },
        },
        required: ["id", "fromMe", "remoteJid"],
        notEmpty: ["id", "remoteJid"],
      },
    },
  },
  required: ["readMessages"],
};

// The 2.3.x event schema wraps the settings in `webhook` (B.5).
const webhookSetSchema: Schema = {
  type: "object",
  properties: {
    webhook: {
      type: "object",
      properties: {
        enabled: { type: "boolean" },
        url: { type: "string" },
        headers: { type: "object" },
        byEvents: { type: "boolean" },
        base64: { type: "boolean" },
        events: { type: "array", minItems: 0, items: { type: "string", enum: WEBHOOK_EVENTS } },
      },
      required: ["enabled", "url"],
      notEmpty: ["enabled", "url"],
    },
  },
  required: ["webhook"],
};

/** `dataValidate`: 400 with the messages wrapped once more (`BadRequestException(message)`). */
function check(value: unknown, schema: Schema): void {
  const messages = validateSchema(value, schema);
  if (messages.length > 0) throw badRequest(messages);
}

// ---------------------------------------------------------------------------------------------

export async function startEvolutionStandIn(opts: EvolutionStandInOptions = {}): Promise<EvolutionStandIn> {
  const instances = new Map<string, EvolutionInstance>();
  const notOnWhatsApp = new Set<string>();
  const requests: EvolutionRecordedRequest[] = [];
  const sent: EvolutionSentMessage[] = [];
  const reads: { instance: string; readMessages: unknown[] }[] = [];
  const webhookSets: { instance: string; body: unknown }[] = [];
  const closedSendStatus = opts.closedSendStatus ?? 400;
  let baseUrl = "";

  const connectionState = (inst: EvolutionInstance) => ({
    instance: { instanceName: inst.name, state: inst.state },
  });

  /** What Baileys' socket does when it is gone: the send fails with "Connection Closed". */
  const requireOpen = (inst: EvolutionInstance) => {
    if (inst.state === "open") return;
    if (closedSendStatus === 500) throw new EvolutionError(500, "Internal Server Error", "Connection Closed");
    throw badRequest("Error: Connection Closed");
  };

  const requireOnWhatsApp = (number: string, jid: string) => {
    const digits = jid.split("@")[0];
    if (jid.endsWith("@s.whatsapp.net") && notOnWhatsApp.has(digits)) {
      throw badRequest({ exists: false, jid, number });
    }
  };

  const send = (inst: EvolutionInstance, action: SendAction, body: Record<string, unknown>): Response => {
    check(body, SCHEMAS[action]);
    const message = buildMessage(action, body); // controller-level checks throw from here
    const target = action === "sendReaction"
      ? String((body.key as Record<string, unknown>).remoteJid)
      : String(body.number);
    requireOpen(inst);
    const remoteJid = createJid(target);
    if (action !== "sendReaction") requireOnWhatsApp(target, remoteJid);
    const response: SendResponse = {
      key: { remoteJid, fromMe: true, id: newMessageId() },
      message,
      messageTimestamp: String(Math.floor(Date.now() / 1000)),
      status: "PENDING",
    };
    sent.push({ instance: inst.name, action, body, response, at: Date.now() });
    return json(201, response);
  };

  const connect = (inst: EvolutionInstance, number: string | null): Response => {
    if (inst.state === "open") return json(200, connectionState(inst));
    if (inst.state !== "connecting" || !inst.qrcode) {
      inst.state = "connecting";
      inst.qrcode = {
        pairingCode: null,
        code: newQrString(),
        base64: `data:image/png;base64,${TINY_PNG_BASE64}`,
        count: 1,
      };
    }
    if (number && !inst.qrcode.pairingCode) inst.qrcode.pairingCode = newPairingCode();
    return json(200, inst.qrcode);
  };

  const route = (req: Request, url: URL, body: unknown): Response => {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const [controller, action, name] = parts;
    const key = `${req.method} ${controller}/${action}`;
    const known = parts.length === 3 && (
      [
        "GET instance/connectionState",
        "GET instance/connect",
        "POST instance/restart",
        "DELETE instance/logout",
        "POST webhook/set",
        "POST chat/markMessageAsRead",
      ].includes(key) ||
      (req.method === "POST" && controller === "message" &&
        (SEND_ACTIONS as readonly string[]).includes(action))
    );
    if (!known) {
      if (req.method === "GET" && url.pathname === "/") {
        return json(200, {
          status: 200,
          message: "Welcome to the Evolution API, it is working!",
          version: "2.3.6",
          clientName: "evolution_exchange",
        });
      }
      throw notFound(`Cannot ${req.method} ${url.pathname}${url.search}`);
    }

    // Guards in the order of index.router.ts: instanceExistsGuard, instanceLoggedGuard, apikey.
    const inst = instances.get(name);
    if (!inst) throw notFound(`The "${name}" instance does not exist`);
    const apikey = req.headers.get("apikey");
    const keyOk = apikey !== null && apikey !== "" &&
      (apikey === opts.globalApiKey || apikey === inst.apiKey);
    if (!keyOk) throw unauthorized();

    const obj = isObject(body) ? body : {};
    switch (key) {
      case "GET instance/connectionState":
        return json(200, connectionState(inst));
      case "GET instance/connect":
        return connect(inst, url.searchParams.get("number"));
      case "POST instance/restart":
        if (inst.state === "close") throw badRequest(`The "${inst.name}" instance is not connected`);
        // Restarting reuses the saved session: an open instance comes back open.
        return inst.state === "open" ? json(200, connectionState(inst)) : connect(inst, null);
      case "DELETE instance/logout":
        if (inst.state === "close") throw badRequest(`The "${inst.name}" instance is not connected`);
        inst.state = "close";
        inst.qrcode = undefined;
        return json(200, { status: "SUCCESS", error: false, response: { message: "Instance logged out" } });
      case "POST webhook/set": {
        check(body, webhookSetSchema);
        const w = obj.webhook as unknown as WebhookConfig;
        inst.webhook = { ...w };
        webhookSets.push({ instance: inst.name, body });
        const now = new Date().toISOString();
        return json(201, {
          id: newCuid(),
          url: w.url,
          headers: w.headers ?? null,
          enabled: w.enabled,
          events: w.events ?? [],
          webhookByEvents: w.byEvents ?? false,
          webhookBase64: w.base64 ?? false,
          createdAt: now,
          updatedAt: now,
          instanceId: inst.instanceId,
        });
      }
      case "POST chat/markMessageAsRead":
        check(body, readMessageSchema);
        if (inst.state !== "open") {
          // markMessageAsRead wraps the socket error in InternalServerErrorException.
          throw new EvolutionError(500, "Internal Server Error", [
            "Read messages fail",
            "Error: Connection Closed",
          ]);
        }
        reads.push({ instance: inst.name, readMessages: obj.readMessages as unknown[] });
        return json(201, { message: "Read messages", read: "success" });
    }
    return send(inst, action as SendAction, obj);
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    let body: unknown = text === "" ? undefined : text;
    let parseError: string | undefined;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch (err) {
        parseError = (err as Error).message;
      }
    }
    requests.push({
      method: req.method,
      path: url.pathname,
      query: url.search,
      headers: Object.fromEntries(req.headers),
      body,
    });
    try {
      // body-parser's error has a status but no `error` field, so main.ts fills in its default.
      if (parseError) throw new EvolutionError(400, "Internal Server Error", parseError);
      return route(req, url, body ?? {});
    } catch (err) {
      if (err instanceof EvolutionError) {
        return json(err.status, {
          status: err.status,
          error: err.error,
          response: { message: err.responseMessage },
        });
      }
      // Like Express: an unexpected throw becomes a 500 carrying its message.
      const message = err instanceof Error ? err.message : String(err);
      return json(500, { status: 500, error: "Internal Server Error", response: { message } });
    }
  };

  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => listening.resolve() },
    handle,
  );
  await listening.promise;
  baseUrl = `http://127.0.0.1:${server.addr.port}`;
  let closing: Promise<void> | undefined;

  /** Envelope defaults from the registered instance. */
  const defaults = (name: string): EnvelopeFields => {
    const inst = instances.get(name);
    return {
      destination: inst?.webhook?.url ?? "",
      serverUrl: baseUrl,
      sender: inst?.ownerJid ?? null,
      apikey: null,
      instanceId: inst?.instanceId,
    };
  };

  return {
    url: baseUrl,
    requests,
    sent,
    reads,
    webhookSets,
    addInstance(i) {
      instances.set(i.name, {
        name: i.name,
        apiKey: i.apiKey,
        state: i.state ?? "open",
        ownerJid: i.ownerJid,
        instanceId: i.instanceId ?? crypto.randomUUID(),
        profileName: i.profileName,
      });
    },
    setState(name, state) {
      const inst = instances.get(name);
      if (!inst) throw new Error(`no instance "${name}"`);
      inst.state = state;
      if (state === "open" || state === "close") inst.qrcode = undefined;
    },
    getInstance: (name) => instances.get(name),
    markNotOnWhatsApp(number) {
      notOnWhatsApp.add(number.replace(/\D/g, ""));
    },
    deliverWebhook(url, envelope, headers) {
      const name = isObject(envelope) && typeof envelope.instance === "string" ? envelope.instance : "";
      return fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(headers ?? instances.get(name)?.webhook?.headers),
        },
        body: JSON.stringify(envelope),
      });
    },
    messagesUpsert: (i) => messagesUpsert({ ...defaults(i.instance), ...i }),
    messagesUpsertImage: (i) => messagesUpsertImage({ ...defaults(i.instance), ...i }),
    messagesUpdate: (i) => messagesUpdate({ ...defaults(i.instance), ...i }),
    connectionUpdate: (i) => connectionUpdate({ ...defaults(i.instance), ...i }),
    qrcodeUpdated: (i) => qrcodeUpdated({ ...defaults(i.instance), ...i }),
    close() {
      closing ??= server.shutdown();
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The `*Message` objects Baileys builds for each action (whatsapp.baileys.service.ts).

function buildMessage(action: SendAction, b: Record<string, unknown>): Record<string, unknown> {
  switch (action) {
    case "sendText": {
      if (String(b.text).trim().length === 0) throw badRequest("Text is required");
      // Evolution passes `conversation`; Baileys sends text as an extendedTextMessage.
      return { extendedTextMessage: { text: b.text } };
    }
    case "sendMedia": {
      const media = typeof b.media === "string" ? b.media : undefined;
      if (media !== undefined && isBase64(media) && !b.fileName && b.mediatype === "document") {
        throw badRequest("For base64 the file name must be informed.");
      }
      if (media === undefined || !(isURL(media) || isBase64(media))) {
        throw badRequest("Owned media must be a url or base64");
      }
      const type = String(b.mediatype);
      let fileName = b.fileName as string | undefined;
      if (!fileName && type === "document") fileName = /.*\/(.+?)\./.exec(media)?.[1];
      if (!fileName && type === "image") fileName = "image.png";
      if (!fileName && type === "video") fileName = "video.mp4";
      const mimetype = (b.mimetype as string | undefined) ?? mimeOf(fileName) ?? mimeOf(media) ??
        "application/octet-stream";
      const fields: Record<string, unknown> = { ...cdnFields(type), mimetype, caption: b.caption, fileName };
      if (type === "audio") fields.ptt = false;
      return { [`${type}Message`]: dropUndefined(fields) };
    }
    case "sendWhatsAppAudio": {
      const audio = typeof b.audio === "string" ? b.audio : "";
      if (!(isURL(audio) || isBase64(audio))) {
        throw badRequest("Owned media must be a url, base64, or valid file with buffer");
      }
      return { audioMessage: { ...cdnFields("audio"), mimetype: "audio/ogg; codecs=opus", ptt: true } };
    }
    case "sendLocation":
      return {
        locationMessage: {
          degreesLatitude: b.latitude,
          degreesLongitude: b.longitude,
          name: b.name,
          address: b.address,
        },
      };
    case "sendContact": {
      const contacts = b.contact as Record<string, string>[];
      if (contacts.length === 1) {
        return { contactMessage: { displayName: contacts[0].fullName, vcard: vcard(contacts[0]) } };
      }
      return {
        contactsArrayMessage: {
          displayName: `${contacts.length} contacts`,
          contacts: contacts.map((c) => ({ displayName: c.fullName, vcard: vcard(c) })),
        },
      };
    }
    case "sendReaction":
      return { reactionMessage: { key: b.key, text: b.reaction } };
    case "sendList":
      return {
        listMessage: dropUndefined({
          title: b.title,
          description: b.description,
          buttonText: b.buttonText,
          footerText: b.footerText,
          sections: b.sections,
          listType: 2,
        }),
      };
    case "sendButtons":
      return buttonsMessage(b);
  }
}

function buttonsMessage(b: Record<string, unknown>): Record<string, unknown> {
  const buttons = b.buttons as Record<string, unknown>[] | undefined;
  // The service reads `buttons.length` unguarded; without buttons Express answers the TypeError.
  if (buttons === undefined) throw new Error("Cannot read properties of undefined (reading 'length')");
  if (buttons.length === 0) throw badRequest("At least one button is required");
  const hasReply = buttons.some((x) => x.type === "reply");
  const hasPix = buttons.some((x) => x.type === "pix");
  const hasOther = buttons.some((x) => x.type !== "reply" && x.type !== "pix");
  if (hasReply) {
    if (buttons.length > 3) throw badRequest("Maximum of 3 reply buttons allowed");
    if (hasOther) throw badRequest("Reply buttons cannot be mixed with other button types");
  }
  if (hasPix) {
    if (buttons.length > 1) throw badRequest("Only one PIX button is allowed");
    if (hasOther) throw badRequest("PIX button cannot be mixed with other button types");
  }
  const names: Record<string, string> = {
    reply: "quick_reply",
    copy: "cta_copy",
    url: "cta_url",
    call: "cta_call",
    pix: "payment_info",
  };
  const params = (x: Record<string, unknown>): string => {
    switch (x.type) {
      case "reply":
        return JSON.stringify({ display_text: x.displayText, id: x.id });
      case "copy":
        return JSON.stringify({ display_text: x.displayText, copy_code: x.copyCode });
      case "url":
        return JSON.stringify({ display_text: x.displayText, url: x.url, merchant_url: x.url });
      case "call":
        return JSON.stringify({ display_text: x.displayText, phone_number: x.phoneNumber });
      default:
        return JSON.stringify({
          currency: x.currency,
          key: x.key,
          key_type: x.keyType,
          merchant_name: x.name,
        });
    }
  };
  let text = `*${b.title}*`;
  if (b.description) text += `\n\n${b.description}\n`;
  const interactiveMessage: Record<string, unknown> = hasPix
    ? {}
    : { body: { text }, footer: dropUndefined({ text: b.footer }) };
  interactiveMessage.nativeFlowMessage = {
    buttons: buttons.map((x) => ({ name: names[String(x.type)], buttonParamsJson: params(x) })),
    messageParamsJson: JSON.stringify({ from: "api", templateId: crypto.randomUUID() }),
  };
  return { viewOnceMessage: { message: { interactiveMessage } } };
}

/** Evolution's vCard, byte for byte (`contactMessage` in the Baileys service). */
function vcard(c: Record<string, string>): string {
  let r = "BEGIN:VCARD\n" + "VERSION:3.0\n" + `N:${c.fullName}\n` + `FN:${c.fullName}\n`;
  if (c.organization) r += `ORG:${c.organization};\n`;
  if (c.email) r += `EMAIL:${c.email}\n`;
  if (c.url) r += `URL:${c.url}\n`;
  // Without wuid Evolution uses createJid(phoneNumber), JID suffix included.
  const wuid = c.wuid ?? createJid(c.phoneNumber);
  return r + `item1.TEL;waid=${wuid}:${c.phoneNumber}\n` + "item1.X-ABLabel:Celular\n" + "END:VCARD";
}

/** Plausible CDN fields of an uploaded media message; values are fakes with the right shapes. */
function cdnFields(type: string): Record<string, unknown> {
  const dir = type === "image" ? "t62.7118-24" : type === "audio" ? "t62.7114-24" : "t62.7119-24";
  const directPath = `/v/${dir}/${randomDigits(8)}_${randomDigits(15)}_${randomDigits(16)}_n.enc?ccb=11-4`;
  return {
    url: `https://mmg.whatsapp.net${directPath}&mms3=true`,
    fileSha256: randomBase64(32),
    fileLength: randomDigits(5),
    mediaKey: randomBase64(32),
    fileEncSha256: randomBase64(32),
    directPath,
    mediaKeyTimestamp: String(Math.floor(Date.now() / 1000)),
  };
}

// ---------------------------------------------------------------------------------------------
// Webhook envelopes (B.5, WebhookController.emit)

/** Evolution prints local time with a `Z` suffix (it subtracts the offset first): mimicked. */
function evolutionDateTime(): string {
  return new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString();
}

function envelope<T>(event: string, instance: string, data: T, f: EnvelopeFields): EvolutionEnvelope<T> {
  return {
    event,
    instance,
    data,
    destination: f.destination ?? "",
    date_time: f.dateTime ?? evolutionDateTime(),
    sender: f.sender ?? null,
    server_url: f.serverUrl ?? "http://localhost:8080",
    apikey: f.apikey ?? null,
  };
}

const messageContextInfo = () => ({
  deviceListMetadata: {
    senderKeyHash: "",
    senderTimestamp: "",
    recipientKeyHash: "",
    recipientTimestamp: "",
  },
  deviceListMetadataVersion: 2,
  messageSecret: "",
});

/** `messages.upsert` for a text: Evolution rewrites it to `message.conversation`. */
export function messagesUpsert(i: MessagesUpsertInput): EvolutionEnvelope {
  return envelope("messages.upsert", i.instance, {
    key: { remoteJid: i.remoteJid, fromMe: i.fromMe, id: i.id },
    pushName: i.pushName,
    status: i.status ?? "DELIVERY_ACK",
    message: { conversation: i.text, messageContextInfo: messageContextInfo() },
    messageType: "conversation",
    messageTimestamp: i.timestamp ?? Math.floor(Date.now() / 1000),
    instanceId: i.instanceId ?? crypto.randomUUID(),
    source: i.source ?? "android",
  }, i);
}

/** `messages.upsert` for an image (`messageType: "imageMessage"`). */
export function messagesUpsertImage(i: MessagesUpsertImageInput): EvolutionEnvelope {
  const message: Record<string, unknown> = {
    imageMessage: dropUndefined({
      ...cdnFields("image"),
      mimetype: i.mimetype ?? "image/jpeg",
      caption: i.caption,
      height: 1280,
      width: 960,
    }),
    messageContextInfo: messageContextInfo(),
  };
  if (i.base64 !== undefined) message.base64 = i.base64;
  return envelope("messages.upsert", i.instance, {
    key: { remoteJid: i.remoteJid, fromMe: i.fromMe, id: i.id },
    pushName: i.pushName,
    status: i.status ?? "DELIVERY_ACK",
    message,
    messageType: "imageMessage",
    messageTimestamp: i.timestamp ?? Math.floor(Date.now() / 1000),
    instanceId: i.instanceId ?? crypto.randomUUID(),
    source: i.source ?? "android",
  }, i);
}

/** `messages.update`: a delivery receipt for a message key. */
export function messagesUpdate(i: MessagesUpdateInput): EvolutionEnvelope {
  return envelope("messages.update", i.instance, {
    keyId: i.keyId,
    remoteJid: i.remoteJid,
    fromMe: i.fromMe,
    status: i.status,
    instanceId: i.instanceId ?? crypto.randomUUID(),
    messageId: i.messageId ?? newCuid(),
  }, i);
}

/** `connection.update`: profile fields only once open, as in the source. */
export function connectionUpdate(i: ConnectionUpdateInput): EvolutionEnvelope {
  const statusReason = i.statusReason ?? (i.state === "close" ? 428 : 200);
  const data = i.state === "open"
    ? {
      instance: i.instance,
      wuid: i.wuid ?? i.sender ?? undefined,
      profileName: i.profileName,
      profilePictureUrl: i.profilePictureUrl ?? null,
      state: i.state,
      statusReason,
    }
    : { instance: i.instance, state: i.state, statusReason };
  return envelope("connection.update", i.instance, dropUndefined(data), i);
}

/** `qrcode.updated`: the new QR for an instance that is pairing. */
export function qrcodeUpdated(i: QrcodeUpdatedInput): EvolutionEnvelope {
  return envelope("qrcode.updated", i.instance, {
    qrcode: { instance: i.instance, pairingCode: i.pairingCode ?? null, code: i.code, base64: i.base64 },
  }, i);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Digits become `<digits>@s.whatsapp.net`; a full JID (`@s.whatsapp.net`, `@g.us`, `@lid`) stays. */
export function createJid(number: string): string {
  if (number.includes("@")) return number;
  return `${number.replace(/\D/g, "")}@s.whatsapp.net`;
}

/** Baileys' generateMessageIDV2 shape: "3EB0" + 18 uppercase hex digits. */
function newMessageId(): string {
  return "3EB0" + randomString(18, "0123456789ABCDEF");
}

/** Pairing codes use Baileys' Crockford-style alphabet (no 0, I, O, U). */
function newPairingCode(): string {
  return randomString(8, "123456789ABCDEFGHJKLMNPQRSTVWXYZ");
}

/** Baileys' QR payload: "2@<ref>,<noise key>,<identity key>,<adv secret>". */
function newQrString(): string {
  return `2@${randomBase64(48)},${randomBase64(32)},${randomBase64(32)},${randomBase64(32)}`;
}

function newCuid(): string {
  return "c" + randomString(24, "0123456789abcdefghijklmnopqrstuvwxyz");
}

/** class-validator's isURL with its defaults: http(s)/ftp and a host with a TLD (no localhost). */
function isURL(s: string): boolean {
  try {
    const u = new URL(s);
    return ["http:", "https:", "ftp:"].includes(u.protocol) && /\.[a-z]{2,}$/i.test(u.hostname);
  } catch {
    return false;
  }
}

/** class-validator's isBase64: plain base64 only, so a `data:` URL is rejected. */
function isBase64(s: string): boolean {
  return s.length > 0 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

const MIME: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  m4a: "audio/mp4",
  pdf: "application/pdf",
  txt: "text/plain",
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

/** mime-types' lookup by extension, for the few types tests use. */
function mimeOf(nameOrUrl: string | undefined): string | undefined {
  if (!nameOrUrl) return undefined;
  const path = nameOrUrl.split(/[?#]/)[0];
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? MIME[ext] : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function randomString(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function randomDigits(length: number): string {
  return randomString(length, "0123456789");
}

function randomBase64(bytes: number): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))));
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
