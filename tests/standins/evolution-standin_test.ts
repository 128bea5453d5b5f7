/**
 * The Evolution API v2 stand-in driven with plain fetch and the reference's B.2–B.5 bodies,
 * checked against Evolution's exact answers: guards (404 before 401), jsonschema messages in
 * their nested array, controller checks, "Connection Closed" on a closed instance, the 201 send
 * shape per action, and the B.5 webhook envelopes.
 */
import assert from "node:assert/strict";
import {
  type EvolutionStandIn,
  startEvolutionStandIn,
  TINY_PNG_BASE64,
  validateSchema,
} from "../support/evolution-standin.ts";

const GLOBAL = "GLOBAL-API-KEY";
const NAME = "acme-support";
const KEY = "B6D711FCDE4D4FD5936544120E713976";
const OWNER = "5511999999999@s.whatsapp.net";

async function withEvolution(
  fn: (e: EvolutionStandIn) => Promise<void> | void,
  closedSendStatus?: 400 | 500,
) {
  const e = await startEvolutionStandIn({ globalApiKey: GLOBAL, closedSendStatus });
  e.addInstance({
    name: NAME,
    apiKey: KEY,
    ownerJid: OWNER,
    instanceId: "bae4c1d2-7f3a-4b5c-9d8e-1f2a3b4c5d6e",
  });
  e.addInstance({ name: "other", apiKey: "OTHER-KEY", state: "close" });
  try {
    await fn(e);
  } finally {
    await e.close();
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  e: EvolutionStandIn,
  method: string,
  path: string,
  body?: unknown,
  apikey: string | null = KEY,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (apikey !== null) headers.apikey = apikey;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${e.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return { status: res.status, body: await res.json() };
}

const post = (e: EvolutionStandIn, action: string, body: unknown, apikey: string | null = KEY) =>
  call(e, "POST", `/message/${action}/${NAME}`, body, apikey);

/** `{status, error, response: {message}}`, exactly. */
function assertError(a: Answer, status: number, error: string, message: unknown) {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.deepEqual(a.body, { status, error, response: { message } });
}

/** The 201 send answer (B.3): exactly key, message, messageTimestamp, status. */
function assertSent(a: Answer, remoteJid: string, message: Record<string, unknown>) {
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.deepEqual(Object.keys(a.body), ["key", "message", "messageTimestamp", "status"]);
  const key = a.body.key as Record<string, unknown>;
  assert.match(String(key.id), /^3EB0[0-9A-F]{18}$/);
  assert.deepEqual(key, { remoteJid, fromMe: true, id: key.id });
  assert.equal(typeof a.body.messageTimestamp, "string");
  assert.ok(Math.abs(Number(a.body.messageTimestamp) - Date.now() / 1000) < 5);
  assert.equal(a.body.status, "PENDING");
  assert.deepEqual(a.body.message, message);
}

Deno.test("evolution stand-in: guards answer 404 before 401, with Evolution's bodies", async () => {
  await withEvolution(async (e) => {
    // B.1 verbatim: unknown instance, whatever the key.
    assertError(
      await call(e, "GET", "/instance/connectionState/invalid-instance", undefined, null),
      404,
      "Not Found",
      ['The "invalid-instance" instance does not exist'],
    );
    assertError(
      await call(e, "GET", `/instance/connectionState/${NAME}`, undefined, null),
      401,
      "Unauthorized",
      "Unauthorized",
    );
    assertError(
      await call(e, "GET", `/instance/connectionState/${NAME}`, undefined, "OTHER-KEY"),
      401,
      "Unauthorized",
      "Unauthorized",
    );
    // The instance key or the global key.
    for (const key of [KEY, GLOBAL]) {
      const a = await call(e, "GET", `/instance/connectionState/${NAME}`, undefined, key);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { instance: { instanceName: NAME, state: "open" } });
    }
    assertError(await call(e, "GET", "/message/sendText/acme-support"), 404, "Not Found", [
      "Cannot GET /message/sendText/acme-support",
    ]);
    assertError(await call(e, "POST", "/message/sendNothing/acme-support", {}), 404, "Not Found", [
      "Cannot POST /message/sendNothing/acme-support",
    ]);
    assert.equal(e.requests.length, 7);
    assert.equal(e.requests[1].headers.apikey, undefined);
    assert.equal(e.requests[2].headers.apikey, "OTHER-KEY");
  });
});

Deno.test("evolution stand-in: connect returns a QR with a real PNG, pairing code on ?number=", async () => {
  await withEvolution(async (e) => {
    const a = await call(e, "GET", "/instance/connect/other", undefined, "OTHER-KEY");
    assert.equal(a.status, 200);
    assert.deepEqual(Object.keys(a.body), ["pairingCode", "code", "base64", "count"]);
    assert.equal(a.body.pairingCode, null);
    assert.match(String(a.body.code), /^2@[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+$/);
    assert.equal(a.body.count, 1);
    const dataUrl = String(a.body.base64);
    assert.ok(dataUrl.startsWith("data:image/png;base64,"));
    const png = Uint8Array.from(atob(dataUrl.slice("data:image/png;base64,".length)), (c) => c.charCodeAt(0));
    assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(new TextDecoder().decode(png.slice(12, 16)), "IHDR");
    assert.equal(dataUrl, `data:image/png;base64,${TINY_PNG_BASE64}`);
    assert.equal(e.getInstance("other")?.state, "connecting");
    assert.deepEqual((await call(e, "GET", "/instance/connectionState/other", undefined, GLOBAL)).body, {
      instance: { instanceName: "other", state: "connecting" },
    });

    // Asking again with a number adds the 8-character pairing code to the same QR.
    const b = await call(e, "GET", "/instance/connect/other?number=5511999999999", undefined, "OTHER-KEY");
    assert.match(String(b.body.pairingCode), /^[1-9A-HJ-NP-TV-Z]{8}$/);
    assert.equal(b.body.code, a.body.code);

    // Already open: the connection-state object instead.
    const c = await call(e, "GET", `/instance/connect/${NAME}`);
    assert.deepEqual(c.body, { instance: { instanceName: NAME, state: "open" } });
  });
});

Deno.test("evolution stand-in: restart and logout, with the exact 'not connected' error", async () => {
  await withEvolution(async (e) => {
    const r = await call(e, "POST", `/instance/restart/${NAME}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { instance: { instanceName: NAME, state: "open" } });

    const out = await call(e, "DELETE", `/instance/logout/${NAME}`);
    assert.equal(out.status, 200);
    assert.deepEqual(out.body, {
      status: "SUCCESS",
      error: false,
      response: { message: "Instance logged out" },
    });
    assert.equal(e.getInstance(NAME)?.state, "close");

    assertError(await call(e, "DELETE", `/instance/logout/${NAME}`), 400, "Bad Request", [
      'The "acme-support" instance is not connected',
    ]);
    assertError(await call(e, "POST", `/instance/restart/${NAME}`), 400, "Bad Request", [
      'The "acme-support" instance is not connected',
    ]);
  });
});

Deno.test("evolution stand-in: webhook/set takes the wrapped body and rejects the flat one", async () => {
  await withEvolution(async (e) => {
    // B.5 verbatim (wrapped form).
    const wrapped = {
      webhook: {
        enabled: true,
        url: "https://platform.example.com/hooks/evolution",
        headers: { authorization: "Bearer <secret>" },
        byEvents: false,
        base64: false,
        events: ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE", "QRCODE_UPDATED", "SEND_MESSAGE"],
      },
    };
    const a = await call(e, "POST", `/webhook/set/${NAME}`, wrapped);
    assert.equal(a.status, 201);
    assert.equal(a.body.url, wrapped.webhook.url);
    assert.equal(a.body.enabled, true);
    assert.deepEqual(a.body.events, wrapped.webhook.events);
    assert.equal(a.body.instanceId, "bae4c1d2-7f3a-4b5c-9d8e-1f2a3b4c5d6e");
    assert.deepEqual(e.webhookSets, [{ instance: NAME, body: wrapped }]);
    assert.deepEqual(e.getInstance(NAME)?.webhook, wrapped.webhook);

    // The flat form of the published docs: the error integrators report from 2.3.x.
    const flat = { url: "https://x.example.com", webhook_by_events: false, events: ["MESSAGES_UPSERT"] };
    assertError(await call(e, "POST", `/webhook/set/${NAME}`, flat), 400, "Bad Request", [[
      'instance requires property "webhook"',
    ]]);
    assertError(
      await call(e, "POST", `/webhook/set/${NAME}`, {
        webhook: { enabled: true, url: "u", events: ["NOPE"] },
      }),
      400,
      "Bad Request",
      [[`webhook.events[0] is not one of enum values: ${
        [
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
        ].join(",")
      }`]],
    );
    assertError(
      await call(e, "POST", `/webhook/set/${NAME}`, { webhook: { enabled: true } }),
      400,
      "Bad Request",
      [[
        'webhook requires property "url"',
      ]],
    );
  });
});

Deno.test("evolution stand-in: the B.3 example bodies get the 201 answer with Baileys' message objects", async () => {
  await withEvolution(async (e) => {
    const jid = "5511999999999@s.whatsapp.net";

    // sendText: the verbatim answer shape (extendedTextMessage).
    assertSent(
      await post(e, "sendText", { number: "5511999999999", text: "Olá!", delay: 1200, linkPreview: true }),
      jid,
      {
        extendedTextMessage: { text: "Olá!" },
      },
    );

    // sendMedia (document): fields Evolution sets on the media message.
    const media = await post(e, "sendMedia", {
      number: "5511999999999",
      mediatype: "document",
      mimetype: "application/pdf",
      caption: "Invoice",
      media: "https://example.com/inv.pdf",
      fileName: "inv.pdf",
    });
    const doc = (media.body.message as Record<string, Record<string, unknown>>).documentMessage;
    assertSent(media, jid, { documentMessage: doc });
    assert.equal(doc.mimetype, "application/pdf");
    assert.equal(doc.caption, "Invoice");
    assert.equal(doc.fileName, "inv.pdf");
    assert.match(String(doc.url), /^https:\/\/mmg\.whatsapp\.net\//);

    // An image without mimetype/fileName gets Evolution's defaults.
    const img = await post(e, "sendMedia", {
      number: "5511999999999",
      mediatype: "image",
      media: "https://example.com/a",
    });
    const imageMessage = (img.body.message as Record<string, Record<string, unknown>>).imageMessage;
    assert.equal(imageMessage.fileName, "image.png");
    assert.equal(imageMessage.mimetype, "image/png");
    assert.equal("caption" in imageMessage, false);

    // sendWhatsAppAudio: a voice note.
    const audio = await post(e, "sendWhatsAppAudio", {
      number: "5511999999999",
      audio: "https://example.com/a.mp3",
      encoding: true,
    });
    const audioMessage = (audio.body.message as Record<string, Record<string, unknown>>).audioMessage;
    assertSent(audio, jid, { audioMessage });
    assert.equal(audioMessage.ptt, true);
    assert.equal(audioMessage.mimetype, "audio/ogg; codecs=opus");

    assertSent(
      await post(e, "sendLocation", {
        number: "5511999999999",
        latitude: -19.93359,
        longitude: -43.93851,
        name: "Palácio da Liberdade",
        address: "Praça da Liberdade, Belo Horizonte",
      }),
      jid,
      {
        locationMessage: {
          degreesLatitude: -19.93359,
          degreesLongitude: -43.93851,
          name: "Palácio da Liberdade",
          address: "Praça da Liberdade, Belo Horizonte",
        },
      },
    );

    assertSent(
      await post(e, "sendContact", {
        number: "5511999999999",
        contact: [{
          fullName: "Guilherme Gomes",
          wuid: "553198296801",
          phoneNumber: "+55 31 9 8296-801",
          organization: "AtendAI",
          email: "g@example.com",
          url: "https://example.com",
        }],
      }),
      jid,
      {
        contactMessage: {
          displayName: "Guilherme Gomes",
          vcard: "BEGIN:VCARD\nVERSION:3.0\nN:Guilherme Gomes\nFN:Guilherme Gomes\nORG:AtendAI;\n" +
            "EMAIL:g@example.com\nURL:https://example.com\nitem1.TEL;waid=553198296801:+55 31 9 8296-801\n" +
            "item1.X-ABLabel:Celular\nEND:VCARD",
        },
      },
    );
    const two = await post(e, "sendContact", {
      number: "5511999999999",
      contact: [{ fullName: "A", phoneNumber: "5511911112222" }, {
        fullName: "B",
        phoneNumber: "5511933334444",
      }],
    });
    const arr = (two.body.message as Record<string, Record<string, unknown>>).contactsArrayMessage;
    assert.equal(arr.displayName, "2 contacts");
    assert.equal((arr.contacts as unknown[]).length, 2);

    // sendReaction: the chat comes from the key.
    const key = { remoteJid: "5511999999999@s.whatsapp.net", fromMe: false, id: "3EB0C767D097B7C7C030" };
    assertSent(await post(e, "sendReaction", { key, reaction: "👍" }), key.remoteJid, {
      reactionMessage: { key, text: "👍" },
    });

    // sendList (code schema body).
    const list = {
      number: "5511999999999",
      title: "Menu",
      description: "Choose an option",
      buttonText: "Open menu",
      footerText: "Acme",
      sections: [{
        title: "Support",
        rows: [
          { title: "Billing", description: "Invoices and payments", rowId: "billing" },
          { title: "Tech", description: "Product issues", rowId: "tech" },
        ],
      }],
    };
    assertSent(await post(e, "sendList", list), jid, {
      listMessage: {
        title: "Menu",
        description: "Choose an option",
        buttonText: "Open menu",
        footerText: "Acme",
        sections: list.sections,
        listType: 2,
      },
    });

    // sendButtons: native-flow quick replies.
    const buttons = await post(e, "sendButtons", {
      number: "5511999999999",
      title: "Confirm your order?",
      description: "Order #1234",
      footer: "Acme",
      buttons: [
        { type: "reply", displayText: "Yes", id: "order_yes" },
        { type: "reply", displayText: "No", id: "order_no" },
      ],
    });
    assert.equal(buttons.status, 201);
    const im = (buttons.body.message as {
      viewOnceMessage: { message: { interactiveMessage: Record<string, Record<string, unknown>> } };
    }).viewOnceMessage.message.interactiveMessage;
    assert.deepEqual(im.body, { text: "*Confirm your order?*\n\nOrder #1234\n" });
    assert.deepEqual(im.footer, { text: "Acme" });
    const flow = im.nativeFlowMessage as {
      buttons: { name: string; buttonParamsJson: string }[];
      messageParamsJson: string;
    };
    assert.deepEqual(
      flow.buttons.map((b) => [b.name, JSON.parse(b.buttonParamsJson)]),
      [["quick_reply", { display_text: "Yes", id: "order_yes" }], ["quick_reply", {
        display_text: "No",
        id: "order_no",
      }]],
    );
    assert.equal(JSON.parse(flow.messageParamsJson).from, "api");

    // A full JID and a group JID are used as given.
    assertSent(
      await post(e, "sendText", { number: "120363040000000000@g.us", text: "hi" }),
      "120363040000000000@g.us",
      {
        extendedTextMessage: { text: "hi" },
      },
    );
    assert.equal(e.sent.length, 11);
    assert.deepEqual(e.sent.map((s) => s.action).slice(0, 3), ["sendText", "sendMedia", "sendMedia"]);
    const ids = new Set(e.sent.map((s) => s.response.key.id));
    assert.equal(ids.size, e.sent.length);
  });
});

Deno.test("evolution stand-in: schema violations answer 400 with jsonschema's messages, nested", async () => {
  await withEvolution(async (e) => {
    const bad = (message: string[]) => [message];
    const cases: [string, unknown, unknown][] = [
      ["sendText", { number: "5511999999999" }, bad(['instance requires property "text"'])],
      ["sendText", {}, bad(['instance requires property "number"', 'instance requires property "text"'])],
      ["sendText", { number: 5511999999999, text: "x" }, bad(["Invalid format"])],
      [
        "sendText",
        { number: "5511999999999", text: "x", delay: "soon" },
        bad(["Enter a value in milliseconds"]),
      ],
      ["sendText", { number: "5511999999999", text: 1 }, bad(["text is not of a type(s) string"])],
      [
        "sendMedia",
        { number: "5511999999999", mediatype: "sticker", media: "https://example.com/a.webp" },
        bad(["mediatype is not one of enum values: image,document,video,audio"]),
      ],
      [
        "sendMedia",
        { number: "5511999999999", media: "https://example.com/a.png" },
        bad([
          'instance requires property "mediatype"',
        ]),
      ],
      [
        "sendLocation",
        { number: "5511999999999", latitude: "-19.9", longitude: -43.9 },
        bad([
          "latitude is not of a type(s) number",
          'instance requires property "name"',
          'instance requires property "address"',
        ]),
      ],
      [
        "sendContact",
        { number: "5511999999999", contact: [{ fullName: "A", phoneNumber: "123" }] },
        bad(["contact[0].phoneNumber does not meet minimum length of 10"]),
      ],
      [
        "sendContact",
        { number: "5511999999999", contact: [] },
        bad(["contact does not meet minimum length of 1"]),
      ],
      [
        "sendContact",
        { number: "5511999999999", contact: [{ fullName: "A", phoneNumber: "5511911112222", wuid: "123" }] },
        bad(['"wuid" must be a numeric string']),
      ],
      [
        "sendReaction",
        { key: { remoteJid: "5511999999999@s.whatsapp.net", id: "3EB0" }, reaction: "👍" },
        bad(['key requires property "fromMe"']),
      ],
      [
        "sendList",
        { number: "5511999999999", title: "t", footerText: "f", buttonText: "b" },
        bad([
          'instance requires property "sections"',
        ]),
      ],
      [
        "sendList",
        {
          number: "5511999999999",
          title: "t",
          footerText: "f",
          buttonText: "b",
          sections: [{ title: "s", rows: [] }],
        },
        bad(["sections[0].rows does not meet minimum length of 1"]),
      ],
      [
        "sendButtons",
        { number: "5511999999999", buttons: [{ type: "link", displayText: "x" }] },
        bad(["buttons[0].type is not one of enum values: reply,copy,url,call,pix"]),
      ],
    ];
    for (const [action, body, message] of cases) {
      const a = await post(e, action, body);
      try {
        assertError(a, 400, "Bad Request", message);
      } catch (err) {
        throw new Error(`${action} ${JSON.stringify(body)}: ${(err as Error).message}`);
      }
    }
    assert.equal(e.sent.length, 0);
  });
});

Deno.test("evolution stand-in: controller checks answer a flat message list", async () => {
  await withEvolution(async (e) => {
    const n = "5511999999999";
    assertError(await post(e, "sendText", { number: n, text: "   " }), 400, "Bad Request", [
      "Text is required",
    ]);
    // A data URL is neither a URL nor plain base64 for class-validator.
    assertError(
      await post(e, "sendMedia", {
        number: n,
        mediatype: "image",
        media: "data:image/png;base64,iVBORw0KGgo=",
      }),
      400,
      "Bad Request",
      ["Owned media must be a url or base64"],
    );
    assertError(
      await post(e, "sendMedia", { number: n, mediatype: "image", media: "http://localhost:8080/a.png" }),
      400,
      "Bad Request",
      ["Owned media must be a url or base64"],
    );
    assertError(
      await post(e, "sendMedia", { number: n, mediatype: "document", media: "JVBERi0xLjQK" }),
      400,
      "Bad Request",
      [
        "For base64 the file name must be informed.",
      ],
    );
    assertError(await post(e, "sendWhatsAppAudio", { number: n }), 400, "Bad Request", [
      "Owned media must be a url, base64, or valid file with buffer",
    ]);
    const reply = (i: number) => ({ type: "reply", displayText: `B${i}`, id: `b${i}` });
    assertError(
      await post(e, "sendButtons", { number: n, title: "t", buttons: [1, 2, 3, 4].map(reply) }),
      400,
      "Bad Request",
      [
        "Maximum of 3 reply buttons allowed",
      ],
    );
    assertError(
      await post(e, "sendButtons", {
        number: n,
        title: "t",
        buttons: [reply(1), { type: "url", displayText: "Site", url: "https://example.com" }],
      }),
      400,
      "Bad Request",
      ["Reply buttons cannot be mixed with other button types"],
    );
    assertError(await post(e, "sendButtons", { number: n, title: "t", buttons: [] }), 400, "Bad Request", [
      "At least one button is required",
    ]);
    // Plain base64 media is accepted (with a file name for documents).
    const ok = await post(e, "sendMedia", {
      number: n,
      mediatype: "document",
      media: "JVBERi0xLjQK",
      fileName: "a.pdf",
    });
    assert.equal(ok.status, 201);
    assert.equal(
      (ok.body.message as Record<string, Record<string, unknown>>).documentMessage.mimetype,
      "application/pdf",
    );
  });
});

Deno.test("evolution stand-in: a closed instance fails sends with 'Connection Closed'", async () => {
  await withEvolution(async (e) => {
    e.setState(NAME, "close");
    assertError(await post(e, "sendText", { number: "5511999999999", text: "hi" }), 400, "Bad Request", [
      "Error: Connection Closed",
    ]);
    e.setState(NAME, "connecting");
    assertError(await post(e, "sendText", { number: "5511999999999", text: "hi" }), 400, "Bad Request", [
      "Error: Connection Closed",
    ]);
    // Validation still comes first.
    assertError(await post(e, "sendText", { number: "5511999999999" }), 400, "Bad Request", [[
      'instance requires property "text"',
    ]]);
    assertError(
      await call(e, "POST", `/chat/markMessageAsRead/${NAME}`, {
        readMessages: [{
          remoteJid: "5511999999999@s.whatsapp.net",
          fromMe: false,
          id: "3EB0C767D097B7C7C030",
        }],
      }),
      500,
      "Internal Server Error",
      ["Read messages fail", "Error: Connection Closed"],
    );
    e.setState(NAME, "open");
    assert.equal((await post(e, "sendText", { number: "5511999999999", text: "hi" })).status, 201);
  });
  // The older variant seen on v2.2.3 / v2.3.1.
  await withEvolution(async (e) => {
    e.setState(NAME, "close");
    assertError(
      await post(e, "sendText", { number: "5511999999999", text: "hi" }),
      500,
      "Internal Server Error",
      "Connection Closed",
    );
  }, 500);
});

Deno.test("evolution stand-in: numbers not on WhatsApp answer 400 with the onWhatsApp result", async () => {
  await withEvolution(async (e) => {
    e.markNotOnWhatsApp("553198296801");
    assertError(await post(e, "sendText", { number: "553198296801", text: "hi" }), 400, "Bad Request", [
      { exists: false, jid: "553198296801@s.whatsapp.net", number: "553198296801" },
    ]);
    assert.equal((await post(e, "sendText", { number: "553198296802", text: "hi" })).status, 201);
  });
});

Deno.test("evolution stand-in: markMessageAsRead (B.4)", async () => {
  await withEvolution(async (e) => {
    const body = {
      readMessages: [{
        remoteJid: "5511999999999@s.whatsapp.net",
        fromMe: false,
        id: "3EB0C767D097B7C7C030",
      }],
    };
    const a = await call(e, "POST", `/chat/markMessageAsRead/${NAME}`, body);
    assert.equal(a.status, 201);
    assert.deepEqual(a.body, { message: "Read messages", read: "success" });
    assert.deepEqual(e.reads, [{ instance: NAME, readMessages: body.readMessages }]);

    assertError(
      await call(e, "POST", `/chat/markMessageAsRead/${NAME}`, {
        readMessages: [{ remoteJid: "5511999999999@s.whatsapp.net", id: "3EB0C767D097B7C7C030" }],
      }),
      400,
      "Bad Request",
      [['readMessages[0] requires property "fromMe"']],
    );
    assertError(
      await call(e, "POST", `/chat/markMessageAsRead/${NAME}`, { readMessages: [] }),
      400,
      "Bad Request",
      [[
        "readMessages does not meet minimum length of 1",
      ]],
    );
  });
});

Deno.test("evolution stand-in: unparsable JSON answers like body-parser through Evolution's handler", async () => {
  await withEvolution(async (e) => {
    const a = await post(e, "sendText", "{oops");
    assert.equal(a.status, 400);
    assert.equal(a.body.status, 400);
    assert.equal(a.body.error, "Internal Server Error");
    assert.equal(typeof (a.body.response as Record<string, unknown>).message, "string");
  });
});

/** A receiver that keeps each webhook POST. */
async function startReceiver() {
  const hits: { path: string; headers: Headers; text: string }[] = [];
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => listening.resolve() },
    async (req) => {
      hits.push({ path: new URL(req.url).pathname, headers: req.headers, text: await req.text() });
      return new Response(null, { status: 200 });
    },
  );
  await listening.promise;
  return {
    url: `http://127.0.0.1:${server.addr.port}/hooks/evolution`,
    hits,
    close: () => server.shutdown(),
  };
}

/** B.5 MESSAGES_UPSERT example, verbatim from the reference. */
const UPSERT_EXAMPLE = {
  event: "messages.upsert",
  instance: "acme-support",
  data: {
    key: { remoteJid: "5511988887777@s.whatsapp.net", fromMe: false, id: "3EB0A1B2C3D4E5F60718" },
    pushName: "Rodrigo",
    status: "DELIVERY_ACK",
    message: {
      conversation: "Oi",
      messageContextInfo: {
        deviceListMetadata: {
          senderKeyHash: "",
          senderTimestamp: "",
          recipientKeyHash: "",
          recipientTimestamp: "",
        },
        deviceListMetadataVersion: 2,
        messageSecret: "",
      },
    },
    messageType: "conversation",
    messageTimestamp: 1773027345,
    instanceId: "bae4c1d2-7f3a-4b5c-9d8e-1f2a3b4c5d6e",
    source: "android",
  },
  destination: "https://platform.example.com/hooks/evolution",
  date_time: "2026-03-09T00:35:45.123Z",
  sender: "5511999999999@s.whatsapp.net",
  server_url: "https://evolution.example.com",
  apikey: null,
};

Deno.test("evolution stand-in: B.5 envelopes, byte-compatible with the reference example", async () => {
  await withEvolution((e) => {
    const upsert = e.messagesUpsert({
      instance: NAME,
      remoteJid: "5511988887777@s.whatsapp.net",
      fromMe: false,
      id: "3EB0A1B2C3D4E5F60718",
      pushName: "Rodrigo",
      text: "Oi",
      timestamp: 1773027345,
      destination: "https://platform.example.com/hooks/evolution",
      dateTime: "2026-03-09T00:35:45.123Z",
      serverUrl: "https://evolution.example.com",
    });
    // Same keys in the same order: the JSON text is identical.
    assert.equal(JSON.stringify(upsert), JSON.stringify(UPSERT_EXAMPLE));

    // Defaults come from the stand-in and the instance.
    const d = e.messagesUpsert({
      instance: NAME,
      remoteJid: "x@s.whatsapp.net",
      fromMe: true,
      id: "3EB0",
      pushName: "",
      text: "t",
    });
    assert.equal(d.sender, OWNER);
    assert.equal(d.server_url, e.url);
    assert.equal(d.apikey, null);
    assert.match(d.date_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal((d.data as Record<string, unknown>).instanceId, "bae4c1d2-7f3a-4b5c-9d8e-1f2a3b4c5d6e");

    const image = e.messagesUpsertImage({
      instance: NAME,
      remoteJid: "5511988887777@s.whatsapp.net",
      fromMe: false,
      id: "3EB0FFFF",
      pushName: "Rodrigo",
      caption: "foto",
      base64: "aGVsbG8=",
    });
    const imageData = image.data as { messageType: string; message: Record<string, Record<string, unknown>> };
    assert.equal(imageData.messageType, "imageMessage");
    assert.equal(imageData.message.imageMessage.caption, "foto");
    assert.equal(imageData.message.imageMessage.mimetype, "image/jpeg");
    assert.equal(imageData.message.base64, "aGVsbG8=");

    // MESSAGES_UPDATE data, B.5 example values.
    const update = e.messagesUpdate({
      instance: NAME,
      keyId: "BAE594145F4C59B4",
      remoteJid: "553198296801@s.whatsapp.net",
      fromMe: true,
      status: "READ",
      instanceId: "af6c5b7c-ee27-4f94-9ea8-192393746ddd",
      messageId: "cm1x2y3z40000abcd1234efgh",
    });
    assert.equal(update.event, "messages.update");
    assert.equal(
      JSON.stringify(update.data),
      JSON.stringify({
        keyId: "BAE594145F4C59B4",
        remoteJid: "553198296801@s.whatsapp.net",
        fromMe: true,
        status: "READ",
        instanceId: "af6c5b7c-ee27-4f94-9ea8-192393746ddd",
        messageId: "cm1x2y3z40000abcd1234efgh",
      }),
    );

    const open = e.connectionUpdate({
      instance: NAME,
      state: "open",
      profileName: "Acme",
      profilePictureUrl: "https://pp",
    });
    assert.equal(open.event, "connection.update");
    assert.equal(
      JSON.stringify(open.data),
      JSON.stringify({
        instance: NAME,
        wuid: OWNER,
        profileName: "Acme",
        profilePictureUrl: "https://pp",
        state: "open",
        statusReason: 200,
      }),
    );
    assert.deepEqual(e.connectionUpdate({ instance: NAME, state: "connecting" }).data, {
      instance: NAME,
      state: "connecting",
      statusReason: 200,
    });
    assert.deepEqual(e.connectionUpdate({ instance: NAME, state: "close", statusReason: 401 }).data, {
      instance: NAME,
      state: "close",
      statusReason: 401,
    });

    const qr = e.qrcodeUpdated({ instance: NAME, code: "2@abc", base64: "data:image/png;base64,xyz" });
    assert.equal(qr.event, "qrcode.updated");
    assert.deepEqual(qr.data, {
      qrcode: { instance: NAME, pairingCode: null, code: "2@abc", base64: "data:image/png;base64,xyz" },
    });
  });
});

Deno.test("evolution stand-in: deliverWebhook posts the envelope with the configured headers", async () => {
  await withEvolution(async (e) => {
    const r = await startReceiver();
    try {
      await call(e, "POST", `/webhook/set/${NAME}`, {
        webhook: { enabled: true, url: r.url, headers: { authorization: "Bearer hook-secret" }, events: [] },
      });
      const env = e.messagesUpsert({
        instance: NAME,
        remoteJid: "5511988887777@s.whatsapp.net",
        fromMe: false,
        id: "3EB0A1B2C3D4E5F60718",
        pushName: "Rodrigo",
        text: "Oi",
      });
      assert.equal(env.destination, r.url);
      const res = await e.deliverWebhook(r.url, env);
      assert.equal(res.status, 200);
      await e.deliverWebhook(r.url, env, { "x-custom": "1" });

      assert.equal(r.hits.length, 2);
      assert.equal(r.hits[0].headers.get("content-type"), "application/json");
      assert.equal(r.hits[0].headers.get("authorization"), "Bearer hook-secret");
      assert.deepEqual(JSON.parse(r.hits[0].text), env);
      assert.deepEqual(Object.keys(JSON.parse(r.hits[0].text)), [
        "event",
        "instance",
        "data",
        "destination",
        "date_time",
        "sender",
        "server_url",
        "apikey",
      ]);
      assert.equal(r.hits[1].headers.get("authorization"), null);
      assert.equal(r.hits[1].headers.get("x-custom"), "1");
    } finally {
      await r.close();
    }
  });
});

Deno.test("evolution stand-in: isNotEmpty only fires when every key is in its list (as in Evolution)", () => {
  const schema = {
    type: "object" as const,
    properties: { id: { type: "string" as const }, remoteJid: { type: "string" as const } },
    notEmpty: ["id", "remoteJid"],
  };
  assert.deepEqual(validateSchema({ id: "", remoteJid: "x" }, schema), ['The "id" cannot be empty']);
  assert.deepEqual(validateSchema({ id: "", remoteJid: "x", fromMe: true }, schema), []);
});

Deno.test("evolution stand-in: close() shuts the server down", async () => {
  const e = await startEvolutionStandIn();
  await e.close();
  await e.close();
  await assert.rejects(fetch(`${e.url}/`));
});
