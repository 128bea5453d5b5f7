/**
 * The Graph (WhatsApp Cloud API) stand-in driven with plain fetch and the verbatim request bodies
 * of the reference (A.2), checked against the exact answers of A.3 / A.5, and its webhooks checked
 * with an HMAC computed here independently (node:crypto), including the A.6.2 conformance vector.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  type GraphStandIn,
  inboundTextPayload,
  serializeWebhookPayload,
  startGraphStandIn,
  statusPayload,
} from "../support/graph-standin.ts";

const PHONE_ID = "106540352242922";
const TOKEN = "EAAG-test-token-acme";
const OTHER_PHONE_ID = "200000000000001";
const OTHER_TOKEN = "EAAG-test-token-other";
const TO = "16505551234";

async function withGraph(fn: (g: GraphStandIn) => Promise<void>): Promise<void> {
  const g = await startGraphStandIn();
  g.addNumber({
    phoneNumberId: PHONE_ID,
    accessToken: TOKEN,
    displayPhoneNumber: "15550783881",
    verifiedName: "Lucky Shrub",
    qualityRating: "GREEN",
    messagingLimitTier: "TIER_1K",
    wabaId: "419561257915477",
  });
  g.addNumber({
    phoneNumberId: OTHER_PHONE_ID,
    accessToken: OTHER_TOKEN,
    displayPhoneNumber: "15550000001",
    verifiedName: "Other Biz",
  });
  try {
    await fn(g);
  } finally {
    await g.close();
  }
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  g: GraphStandIn,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${g.url}/${g.version}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const send = (g: GraphStandIn, body: unknown, token: string | null = TOKEN, phoneId = PHONE_ID) =>
  call(g, "POST", `/${phoneId}/messages`, body, token);

/** A verbatim example with Meta's Postman variable filled in, as Postman would send it. */
const fill = (verbatim: string, to = TO) => JSON.parse(verbatim.replaceAll("{{Recipient-Phone-Number}}", to));

/** The exact A.3 answer, with a well-formed wamid whose payload names the recipient. */
function assertSendAnswer(a: Answer, to: string): string {
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const id = (a.body.messages as { id: string }[])[0]?.id;
  assert.deepEqual(a.body, {
    messaging_product: "whatsapp",
    contacts: [{ input: to, wa_id: to.replace(/\D/g, "") }],
    messages: [{ id }],
  });
  assert.match(id, /^wamid\.[A-Za-z0-9+/]+=*$/);
  assert.ok(atob(id.slice("wamid.".length)).includes(to.replace(/\D/g, "")));
  return id;
}

/** Graph's error envelope, exactly: these keys and no others. */
function assertMetaError(
  a: Answer,
  status: number,
  code: number,
  opts: { message?: string | RegExp; details?: string | RegExp; subcode?: number } = {},
): Record<string, unknown> {
  assert.equal(a.status, status, JSON.stringify(a.body));
  const e = a.body.error as Record<string, unknown>;
  assert.ok(e, "no error envelope");
  assert.equal(e.type, "OAuthException");
  assert.equal(e.code, code);
  assert.equal(typeof e.fbtrace_id, "string");
  if (opts.subcode !== undefined) assert.equal(e.error_subcode, opts.subcode);
  if (typeof opts.message === "string") assert.equal(e.message, opts.message);
  else if (opts.message) assert.match(String(e.message), opts.message);
  if (opts.details !== undefined) {
    const data = e.error_data as Record<string, unknown>;
    assert.equal(data.messaging_product, "whatsapp");
    if (typeof opts.details === "string") assert.equal(data.details, opts.details);
    else assert.match(String(data.details), opts.details);
  }
  const allowed = ["message", "type", "code", "error_data", "error_subcode", "is_transient", "fbtrace_id"];
  for (const k of Object.keys(e)) assert.ok(allowed.includes(k), `unexpected error field ${k}`);
  return e;
}

// ---- Verbatim request bodies from the reference, A.2 ----------------------------------------

const V_TEXT = `{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "text": {
    "body": "text-message-content",
    "preview_url": false
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "text"
}`;
const V_TEXT_PREVIEW = `{
  "messaging_product": "whatsapp",
  "text": {
    "body": "Please visit https://youtu.be/hpltvTEiRrY.",
    "preview_url": true
  },
  "to": "{{Recipient-Phone-Number}}"
}`;
const V_REPLY = `{
  "context": {
    "message_id": "<MSGID_OF_PREV_MSG>"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "text": {
    "body": "<TEXT_MSG_CONTENT>",
    "preview_url": false
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "text"
}`;
const V_TEMPLATE = `{
  "messaging_product": "whatsapp",
  "template": {
    "language": {
      "code": "en_US"
    },
    "name": "hello_world"
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "template"
}`;
const V_TEMPLATE_MEDIA = `{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "template": {
    "components": [
      {
        "parameters": [
          {
            "image": {
              "link": "http(s)://the-image-url"
            },
            "type": "image"
          }
        ],
        "type": "header"
      },
      {
        "parameters": [
          {
            "text": "text-string",
            "type": "text"
          },
          {
            "currency": {
              "amount_1000": 100990,
              "code": "USD",
              "fallback_value": "$100.99"
            },
            "type": "currency"
          },
          {
            "date_time": {
              "calendar": "GREGORIAN",
              "day_of_month": 25,
              "day_of_week": 5,
              "fallback_value": "February 25, 1977",
              "hour": 15,
              "minute": 33,
              "month": 2,
              "year": 1977
            },
            "type": "date_time"
          }
        ],
        "type": "body"
      }
    ],
    "language": {
      "code": "language-and-locale-code"
    },
    "name": "template-name"
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "template"
}`;
const V_TEMPLATE_POLICY = `{
  "messaging_product": "whatsapp",
  "template": {
    "components": [
      {
        "parameters": [
          {
            "text": "*Mr. Jones*",
            "type": "text"
          }
        ],
        "type": "body"
      },
      {
        "index": 0,
        "parameters": [
          {
            "text": true,
            "type": "text"
          }
        ],
        "sub_type": "quick_reply",
        "type": "button"
      },
      {
        "index": 1,
        "parameters": [
          {
            "text": false,
            "type": "text"
          }
        ],
        "sub_type": "quick_reply",
        "type": "button"
      }
    ],
    "language": {
      "code": "en_US",
      "policy": "deterministic"
    },
    "name": "sample_issue_resolution"
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "template"
}`;
const V_IMAGE = `{
  "image": {
    "link": "http(s)://image-url"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "image"
}`;
const V_AUDIO = `{
  "audio": {
    "link": "<http(s)://audio-url>"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "audio"
}`;
const V_DOCUMENT = `{
  "document": {
    "caption": "<DOCUMENT-CAPTION-TEXT>",
    "link": "<http(s)://document-url>"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "document"
}`;
const V_DOCUMENT_ID = `{
  "document": {
    "caption": "<DOCUMENT_CAPTION_TO_SEND>",
    "filename": "<DOCUMENT_FILENAME>",
    "id": "<DOCUMENT_OBJECT_ID>"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "document"
}`;
const V_VIDEO = `{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "video",
  "video": {
    "caption": "<VIDEO_CAPTION_TEXT>",
    "link": "<http(s)://video-url>"
  }
}`;
const V_STICKER = `{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "sticker": {
    "link": "<http(s)://sticker-url>"
  },
  "to": "{{Recipient-Phone-Number}}",
  "type": "sticker"
}`;
const V_LOCATION = `{
  "location": {
    "address": "1 Hacker Way, Menlo Park, CA 94025",
    "latitude": 37.758056,
    "longitude": -122.425332,
    "name": "META HQ"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "location"
}`;
const V_CONTACTS = `{
  "contacts": [
    {
      "addresses": [
        {
          "city": "Menlo Park",
          "country": "United States",
          "country_code": "us",
          "state": "CA",
          "street": "1 Hacker Way",
          "type": "HOME",
          "zip": "94025"
        },
        {
          "city": "Menlo Park",
          "country": "United States",
          "country_code": "us",
          "state": "CA",
          "street": "200 Jefferson Dr",
          "type": "WORK",
          "zip": "94025"
        }
      ],
      "birthday": "2012-08-18",
      "emails": [
        {
          "email": "test@fb.com",
          "type": "WORK"
        },
        {
          "email": "test@whatsapp.com",
          "type": "HOME"
        }
      ],
      "name": {
        "first_name": "John",
        "formatted_name": "John Smith",
        "last_name": "Smith",
        "middle_name": "D.",
        "prefix": "Dr",
        "suffix": "Jr"
      },
      "org": {
        "company": "WhatsApp",
        "department": "Design",
        "title": "Manager"
      },
      "phones": [
        {
          "phone": "+1 (940) 555-1234",
          "type": "HOME"
        },
        {
          "phone": "+1 (650) 555-1234",
          "type": "WORK",
          "wa_id": "16505551234"
        }
      ],
      "urls": [
        {
          "type": "WORK",
          "url": "https://www.facebook.com"
        },
        {
          "type": "HOME",
          "url": "https://www.whatsapp.com"
        }
      ]
    }
  ],
  "messaging_product": "whatsapp",
  "to": "{{Recipient-Phone-Number}}",
  "type": "contacts"
}`;
const V_BUTTONS = `{
  "interactive": {
    "action": {
      "buttons": [
        {
          "reply": {
            "id": "<UNIQUE_BUTTON_ID_1>",
            "title": "<BUTTON_TITLE_1>"
          },
          "type": "reply"
        },
        {
          "reply": {
            "id": "<UNIQUE_BUTTON_ID_2>",
            "title": "<BUTTON_TITLE_2>"
          },
          "type": "reply"
        }
      ]
    },
    "body": {
      "text": "<BUTTON_TEXT>"
    },
    "type": "button"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "interactive"
}`;
const V_BUTTONS_FULL = `{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "interactive",
  "interactive": {
    "type": "button",
    "header": {"type": "text", "text": "<HEADER_TEXT>"},
    "body": {"text": "<BODY_TEXT>"},
    "footer": {"text": "<FOOTER_TEXT>"},
    "action": {
      "buttons": [
        {"type": "reply", "reply": {"id": "change-button", "title": "Change"}},
        {"type": "reply", "reply": {"id": "cancel-button", "title": "Cancel"}}
      ]
    }
  }
}`;
const V_LIST = `{
  "interactive": {
    "action": {
      "button": "<BUTTON_TEXT>",
      "sections": [
        {
          "rows": [
            {
              "description": "<SECTION_1_ROW_1_DESC>",
              "id": "<LIST_SECTION_1_ROW_1_ID>",
              "title": "<SECTION_1_ROW_1_TITLE>"
            },
            {
              "description": "<SECTION_1_ROW_2_DESC>",
              "id": "<LIST_SECTION_1_ROW_2_ID>",
              "title": "<SECTION_1_ROW_2_TITLE>"
            }
          ],
          "title": "<LIST_SECTION_1_TITLE>"
        },
        {
          "rows": [
            {
              "description": "<SECTION_2_ROW_1_DESC>",
              "id": "<LIST_SECTION_2_ROW_1_ID>",
              "title": "<SECTION_2_ROW_1_TITLE>"
            },
            {
              "description": "<SECTION_2_ROW_2_DESC>",
              "id": "<LIST_SECTION_2_ROW_2_ID>",
              "title": "<SECTION_2_ROW_2_TITLE>"
            }
          ],
          "title": "<LIST_SECTION_2_TITLE>"
        }
      ]
    },
    "body": {
      "text": "<BODY_TEXT>"
    },
    "footer": {
      "text": "<FOOTER_TEXT>"
    },
    "header": {
      "text": "<HEADER_TEXT>",
      "type": "text"
    },
    "type": "list"
  },
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "interactive"
}`;
const V_REACTION = `{
  "messaging_product": "whatsapp",
  "reaction": {
    "emoji": "😀",
    "message_id": "wamid.HBgLM..."
  },
  "recipient_type": "individual",
  "to": "{{Recipient-Phone-Number}}",
  "type": "reaction"
}`;

const VERBATIM_SENDS: [string, string][] = [
  ["text", V_TEXT],
  ["text with preview, no type", V_TEXT_PREVIEW],
  ["reply", V_REPLY],
  ["template hello_world", V_TEMPLATE],
  ["template with media and parameters", V_TEMPLATE_MEDIA],
  ["template with language.policy", V_TEMPLATE_POLICY],
  ["image by link", V_IMAGE],
  ["audio by link", V_AUDIO],
  ["document by link", V_DOCUMENT],
  ["document by id", V_DOCUMENT_ID],
  ["video by link", V_VIDEO],
  ["sticker by link", V_STICKER],
  ["location", V_LOCATION],
  ["contacts", V_CONTACTS],
  ["interactive reply buttons", V_BUTTONS],
  ["interactive reply buttons, full form", V_BUTTONS_FULL],
  ["interactive list", V_LIST],
  ["reaction", V_REACTION],
];

Deno.test("graph stand-in: every verbatim A.2 body is accepted with the exact A.3 answer", async () => {
  await withGraph(async (g) => {
    const ids = new Set<string>();
    for (const [name, verbatim] of VERBATIM_SENDS) {
      const body = fill(verbatim);
      const a = await send(g, body);
      const id = assertSendAnswer(a, TO);
      assert.ok(!ids.has(id), `${name}: wamid reused`);
      ids.add(id);
      const rec = g.sent.at(-1)!;
      assert.equal(rec.wamid, id, name);
      assert.equal(rec.type, body.type ?? "text", name);
      assert.deepEqual(rec.body, body, name);
    }
    assert.equal(g.sent.length, VERBATIM_SENDS.length);
  });
});

Deno.test("graph stand-in: contacts[0].input echoes `to` as sent, wa_id is its digits (A.3 example)", async () => {
  await withGraph(async (g) => {
    const a = await send(g, { ...fill(V_TEXT), to: "+16505551234" });
    assertSendAnswer(a, "+16505551234");
    assert.deepEqual(a.body.contacts, [{ input: "+16505551234", wa_id: "16505551234" }]);
    assert.equal(g.requests.at(-1)!.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(g.requests.at(-1)!.path, `/v23.0/${PHONE_ID}/messages`);
  });
});

Deno.test("graph stand-in: tokens are checked per number (401 / 190) and unknown ids answer 100 / 33", async () => {
  await withGraph(async (g) => {
    const body = fill(V_TEXT);
    let a = await send(g, body, null);
    assertMetaError(a, 401, 190, { message: "Invalid OAuth access token - Cannot parse access token" });
    assert.match(a.headers.get("www-authenticate") ?? "", /^OAuth "Facebook Platform" "invalid_token"/);

    a = await send(g, body, "EAAG-not-a-token");
    assertMetaError(a, 401, 190, { message: /^Error validating access token/ });

    // Another tenant's real token on our number: our adapter mixed up credentials.
    a = await send(g, body, OTHER_TOKEN);
    assertMetaError(a, 401, 190, { message: /^Error validating access token/ });

    a = await send(g, body, TOKEN, "999999999999999");
    assertMetaError(a, 400, 100, {
      subcode: 33,
      message:
        "Unsupported post request. Object with ID '999999999999999' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
    });
    assert.equal(g.sent.length, 0);
  });
});

/** A reply-buttons body with `n` buttons, for the limit cases. */
const buttonsBody = (buttons: { id: string; title: string }[], extra: Record<string, unknown> = {}) => ({
  messaging_product: "whatsapp",
  to: TO,
  type: "interactive",
  interactive: {
    type: "button",
    body: { text: "Pick one" },
    action: { buttons: buttons.map((reply) => ({ type: "reply", reply })) },
    ...extra,
  },
});

const row = (id: string, title = "Row", description?: string) => ({
  id,
  title,
  ...(description ? { description } : {}),
});
const listBody = (sections: unknown[], button = "Open") => ({
  messaging_product: "whatsapp",
  to: TO,
  type: "interactive",
  interactive: { type: "list", body: { text: "Choose" }, action: { button, sections } },
});
const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => row(`${prefix}${i}`));
const x = (n: number) => "x".repeat(n);

/** [case, body, expected code (0 = accepted), details pattern]. Boundary values are accepted. */
const LIMIT_CASES: [string, unknown, number, RegExp?][] = [
  ["text.body at 4096", { messaging_product: "whatsapp", to: TO, type: "text", text: { body: x(4096) } }, 0],
  [
    "text.body over 4096",
    { messaging_product: "whatsapp", to: TO, type: "text", text: { body: x(4097) } },
    100,
    /text\['body'\].*4096/,
  ],
  [
    "text object missing",
    { messaging_product: "whatsapp", to: TO, type: "text" },
    131008,
    /text is required/,
  ],
  [
    "text.body missing",
    { messaging_product: "whatsapp", to: TO, type: "text", text: {} },
    131008,
    /text\['body'\]/,
  ],
  ["messaging_product missing", { to: TO, text: { body: "hi" } }, 131008, /messaging_product/],
  [
    "messaging_product wrong",
    { messaging_product: "sms", to: TO, text: { body: "hi" } },
    100,
    /messaging_product/,
  ],
  ["to missing", { messaging_product: "whatsapp", text: { body: "hi" } }, 131008, /parameter to is required/],
  [
    "unknown type",
    { messaging_product: "whatsapp", to: TO, type: "fax", fax: {} },
    100,
    /type must be one of/,
  ],
  ["image caption at 1024", {
    messaging_product: "whatsapp",
    to: TO,
    type: "image",
    image: { link: "https://x.test/a.jpg", caption: x(1024) },
  }, 0],
  [
    "image caption over 1024",
    {
      messaging_product: "whatsapp",
      to: TO,
      type: "image",
      image: { link: "https://x.test/a.jpg", caption: x(1025) },
    },
    100,
    /caption.*1024/,
  ],
  [
    "document caption over 1024",
    { messaging_product: "whatsapp", to: TO, type: "document", document: { id: "123", caption: x(1025) } },
    100,
    /caption.*1024/,
  ],
  [
    "media without link or id",
    { messaging_product: "whatsapp", to: TO, type: "video", video: { caption: "c" } },
    131008,
    /video\['link'\] or video\['id'\]/,
  ],
  [
    "location without latitude",
    { messaging_product: "whatsapp", to: TO, type: "location", location: { longitude: 1 } },
    131008,
    /latitude/,
  ],
  [
    "location without longitude",
    { messaging_product: "whatsapp", to: TO, type: "location", location: { latitude: 1 } },
    131008,
    /longitude/,
  ],
  [
    "template without name",
    { messaging_product: "whatsapp", to: TO, type: "template", template: { language: { code: "en_US" } } },
    131008,
    /template\['name'\]/,
  ],
  [
    "template without language.code",
    {
      messaging_product: "whatsapp",
      to: TO,
      type: "template",
      template: { name: "hello_world", language: {} },
    },
    131008,
    /language'\]\['code'\]/,
  ],
  [
    "template without language",
    { messaging_product: "whatsapp", to: TO, type: "template", template: { name: "hello_world" } },
    131008,
    /template\['language'\]/,
  ],
  [
    "3 buttons, title 20, id 256",
    buttonsBody([{ id: x(256), title: x(20) }, { id: "b", title: "B" }, { id: "c", title: "C" }]),
    0,
  ],
  [
    "4 buttons",
    buttonsBody([{ id: "a", title: "A" }, { id: "b", title: "B" }, { id: "c", title: "C" }, {
      id: "d",
      title: "D",
    }]),
    100,
    /between 1 and 3/,
  ],
  ["0 buttons", buttonsBody([]), 100, /between 1 and 3/],
  ["button title over 20", buttonsBody([{ id: "a", title: x(21) }]), 100, /title'\].*20/],
  ["button id over 256", buttonsBody([{ id: x(257), title: "A" }]), 100, /id'\].*256/],
  [
    "duplicate button titles",
    buttonsBody([{ id: "a", title: "Same" }, { id: "b", title: "Same" }]),
    100,
    /unique/,
  ],
  [
    "header.text over 60",
    buttonsBody([{ id: "a", title: "A" }], { header: { type: "text", text: x(61) } }),
    100,
    /header'\]\['text'\].*60/,
  ],
  ["header.text at 60", buttonsBody([{ id: "a", title: "A" }], { header: { type: "text", text: x(60) } }), 0],
  [
    "body.text over 1024",
    buttonsBody([{ id: "a", title: "A" }], { body: { text: x(1025) } }),
    100,
    /body'\]\['text'\].*1024/,
  ],
  [
    "body missing",
    buttonsBody([{ id: "a", title: "A" }], { body: undefined }),
    131008,
    /interactive\['body'\]/,
  ],
  [
    "footer.text over 60",
    buttonsBody([{ id: "a", title: "A" }], { footer: { text: x(61) } }),
    100,
    /footer'\]\['text'\].*60/,
  ],
  ["list: one untitled section", listBody([{ rows: [row("r1")] }]), 0],
  ["list: button over 20", listBody([{ rows: [row("r1")] }], x(21)), 100, /\['button'\].*20/],
  ["list: 0 sections", listBody([]), 100, /between 1 and 10/],
  [
    "list: 11 sections",
    listBody(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [row(`r${i}`)] }))),
    100,
    /between 1 and 10/,
  ],
  [
    "list: 10 rows across sections",
    listBody([{ title: "A", rows: rows(5, "a") }, { title: "B", rows: rows(5, "b") }]),
    0,
  ],
  [
    "list: 11 rows across sections",
    listBody([{ title: "A", rows: rows(6, "a") }, { title: "B", rows: rows(5, "b") }]),
    100,
    /at most 10 rows across all sections/,
  ],
  [
    "list: section title required with 2 sections",
    listBody([{ rows: [row("a")] }, { title: "B", rows: [row("b")] }]),
    131008,
    /sections'\]\[0\]\['title'\]/,
  ],
  [
    "list: section title over 24",
    listBody([{ title: x(25), rows: [row("a")] }, { title: "B", rows: [row("b")] }]),
    100,
    /title'\].*24/,
  ],
  ["list: row id over 200", listBody([{ rows: [row(x(201))] }]), 100, /\['id'\].*200/],
  ["list: row title over 24", listBody([{ rows: [row("a", x(25))] }]), 100, /\['title'\].*24/],
  ["list: row description over 72", listBody([{ rows: [row("a", "A", x(73))] }]), 100, /description'\].*72/],
  ["list: row at limits", listBody([{ rows: [row(x(200), x(24), x(72))] }]), 0],
];

Deno.test("graph stand-in: A.4 limits and required fields answer 100 / 131008 with details", async () => {
  await withGraph(async (g) => {
    for (const [name, body, code, details] of LIMIT_CASES) {
      const a = await send(g, body);
      if (code === 0) {
        assertSendAnswer(a, TO);
        continue;
      }
      const title = code === 100 ? "Invalid parameter" : "Required parameter is missing";
      try {
        assertMetaError(a, 400, code, { message: `(#${code}) ${title}`, details });
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
    }
    assert.equal(g.sent.length, LIMIT_CASES.filter(([, , code]) => code === 0).length);
  });
});

Deno.test("graph stand-in: failNext injects Meta's errors once, in order, with their HTTP status", async () => {
  await withGraph(async (g) => {
    const text = fill(V_TEXT);
    g.failNext({ code: 131047 });
    const a = await send(g, text);
    assert.deepEqual(Object.keys(a.body.error as object).sort(), [
      "code",
      "error_data",
      "fbtrace_id",
      "message",
      "type",
    ]);
    assertMetaError(a, 400, 131047, {
      message: "(#131047) Re-engagement message",
      details:
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    });
    assertSendAnswer(await send(g, text), TO); // consumed

    g.failNext({ code: 130429, times: 2 });
    g.failNext({ code: 131056 });
    assertMetaError(await send(g, text), 429, 130429, { message: "(#130429) Rate limit hit" });
    assertMetaError(await send(g, text), 429, 130429);
    assertMetaError(await send(g, text), 400, 131056, {
      message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
      details: /too many messages sent from this phone number to the same phone number/,
    });

    g.failNext({ code: 131026 });
    assertMetaError(await send(g, text), 400, 131026, { message: "(#131026) Message undeliverable" });
    g.failNext({ code: 131000 });
    assertMetaError(await send(g, text), 500, 131000, { message: "(#131000) Something went wrong" });
    g.failNext({ code: 2 });
    const e2 = assertMetaError(await send(g, text), 503, 2);
    assert.equal(e2.is_transient, true);
    g.failNext({ code: 190 });
    assertMetaError(await send(g, text), 401, 190, {
      message: /^Error validating access token/,
      subcode: 463,
    });
    g.failNext({ code: 132000 });
    assertMetaError(await send(g, fill(V_TEMPLATE)), 400, 132000, {
      message: "(#132000) Number of parameters does not match the expected number of params",
      details: /number of localizable_params/,
    });
    g.failNext({ code: 132001 });
    assertMetaError(await send(g, fill(V_TEMPLATE)), 400, 132001, {
      message: "(#132001) Template name does not exist in the translation",
      details: "template name (hello_world) does not exist in en_US",
    });
    g.failNext({
      code: 131049,
      title: "Not delivered to maintain ecosystem",
      details: "custom",
      httpStatus: 400,
    });
    assertMetaError(await send(g, text), 400, 131049, {
      message: "(#131049) Not delivered to maintain ecosystem",
      details: "custom",
    });

    // A bad body is still a bad body: it neither succeeds nor consumes the injection.
    g.failNext({ code: 131047 });
    assertMetaError(await send(g, { messaging_product: "whatsapp", to: TO }), 400, 131008);
    assertMetaError(await send(g, text), 400, 131047);

    assertSendAnswer(await send(g, text), TO);
    assert.equal(g.sent.length, 2);
  });
});

Deno.test("graph stand-in: failFor fails every send to one recipient until cleared", async () => {
  await withGraph(async (g) => {
    g.failFor("+1 650 555 9999", { code: 131026 });
    for (let i = 0; i < 3; i++) {
      assertMetaError(await send(g, fill(V_TEXT, "16505559999")), 400, 131026);
    }
    assertSendAnswer(await send(g, fill(V_TEXT)), TO);
    g.clearFailures();
    assertSendAnswer(await send(g, fill(V_TEXT, "16505559999")), "16505559999");
  });
});

/** A webhook receiver keeping the raw bytes and headers of every POST. */
async function startReceiver() {
  const hits: { headers: Headers; raw: Uint8Array; text: string }[] = [];
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => listening.resolve() },
    async (req) => {
      const url = new URL(req.url);
      if (req.method === "GET") {
        // Meta's handshake: echo hub.challenge when the verify token matches.
        const ok = url.searchParams.get("hub.mode") === "subscribe" &&
          url.searchParams.get("hub.verify_token") === "verify-me";
        return new Response(ok ? url.searchParams.get("hub.challenge") : "forbidden", {
          status: ok ? 200 : 403,
        });
      }
      const raw = new Uint8Array(await req.arrayBuffer());
      hits.push({ headers: req.headers, raw, text: new TextDecoder().decode(raw) });
      return new Response("EVENT_RECEIVED");
    },
  );
  await listening.promise;
  return { url: `http://127.0.0.1:${server.addr.port}/webhooks/meta`, hits, close: () => server.shutdown() };
}

const hmacHex = (secret: string, data: Uint8Array | string) =>
  "sha256=" + createHmac("sha256", secret).update(data).digest("hex");

Deno.test("graph stand-in: webhooks are compact, \\u-escaped and signed over the exact bytes", async () => {
  await withGraph(async (g) => {
    const r = await startReceiver();
    try {
      const payload = inboundTextPayload({
        wabaId: "419561257915477",
        phoneNumberId: PHONE_ID,
        displayPhoneNumber: "15550783881",
        from: TO,
        name: "Lucía Gómez",
        text: "Olá 👍 / tudo bem?",
      });
      const res = await g.deliverWebhook(r.url, payload, "app-secret-1");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "EVENT_RECEIVED");

      const hit = r.hits[0];
      assert.equal(hit.headers.get("content-type"), "application/json");
      assert.equal(hit.headers.get("x-hub-signature-256"), hmacHex("app-secret-1", hit.raw));
      assert.equal(
        hit.headers.get("x-hub-signature"),
        "sha1=" + createHmac("sha1", "app-secret-1").update(hit.raw).digest("hex"),
      );
      assert.ok(hit.text.includes("Luc\\u00eda G\\u00f3mez"));
      assert.ok(hit.text.includes("Ol\\u00e1 \\ud83d\\udc4d / tudo bem?"));
      assert.ok(!/[^\x20-\x7e]/.test(hit.text), "body must be pure ASCII");
      assert.ok(!hit.text.includes(" ,") && !hit.text.includes(": "), "compact JSON");
      assert.deepEqual(JSON.parse(hit.text), payload);
      // Why receivers must verify the raw bytes: re-serialising the parsed body changes them.
      assert.notEqual(
        hmacHex("app-secret-1", JSON.stringify(JSON.parse(hit.text))),
        hmacHex("app-secret-1", hit.raw),
      );
      assert.equal(g.webhookDeliveries[0].signature256, hit.headers.get("x-hub-signature-256"));

      // A string payload goes out byte for byte.
      await g.deliverWebhook(r.url, '{"a":"é"}', "s");
      assert.equal(r.hits[1].text, '{"a":"é"}');
      assert.equal(r.hits[1].headers.get("x-hub-signature-256"), hmacHex("s", '{"a":"é"}'));

      // The verification handshake of A.6.1.
      const ok = await g.verifyWebhook(r.url, "verify-me", "1158201444");
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), "1158201444");
      const bad = await g.verifyWebhook(r.url, "wrong");
      assert.equal(bad.status, 403);
      await bad.body?.cancel();
    } finally {
      await r.close();
    }
  });
});

/** A.6.3 "Text", verbatim from the reference. */
const VERBATIM_TEXT_WEBHOOK = `{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "419561257915477",
      "changes": [
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {
              "display_phone_number": "15550783881",
              "phone_number_id": "106540352242922"
            },
            "contacts": [
              {
                "profile": {
                  "name": "Sheena Nelson"
                },
                "wa_id": "16505551234"
              }
            ],
            "messages": [
              {
                "from": "16505551234",
                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                "timestamp": "1749416383",
                "type": "text",
                "text": {
                  "body": "Does it come in another color?"
                }
              }
            ]
          },
          "field": "messages"
        }
      ]
    }
  ]
}`;
const CONFORMANCE_SIGNATURE = "sha256=05425dca287e36f60b5b42254ae7fa13f010d6f9febd93f65d1dd83d79ad0484";

Deno.test("graph stand-in: the builder reproduces Meta's Text example byte for byte (A.6.2 vector)", async () => {
  const compactVerbatim = JSON.stringify(JSON.parse(VERBATIM_TEXT_WEBHOOK));
  assert.equal(new TextEncoder().encode(compactVerbatim).length, 499);
  assert.ok(
    compactVerbatim.startsWith('{"object":"whatsapp_business_account","entry":[{"id":"419561257915477",'),
  );
  assert.equal(hmacHex("test_app_secret", compactVerbatim), CONFORMANCE_SIGNATURE);

  const built = serializeWebhookPayload(inboundTextPayload({
    wabaId: "419561257915477",
    phoneNumberId: "106540352242922",
    displayPhoneNumber: "15550783881",
    from: "16505551234",
    name: "Sheena Nelson",
    text: "Does it come in another color?",
    wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
    timestamp: 1749416383,
  }));
  assert.equal(built, compactVerbatim);

  await withGraph(async (g) => {
    const r = await startReceiver();
    try {
      const payload = JSON.parse(built);
      await (await g.deliverWebhook(r.url, payload, "test_app_secret")).body?.cancel();
      assert.equal(r.hits[0].text, compactVerbatim);
      assert.equal(r.hits[0].headers.get("x-hub-signature-256"), CONFORMANCE_SIGNATURE);
    } finally {
      await r.close();
    }
  });
});

Deno.test("graph stand-in: status builders follow the A.6.4 examples", () => {
  const meta = {
    wabaId: "102290129340398",
    phoneNumberId: "106540352242922",
    displayPhoneNumber: "15550783881",
  };
  // The "sent" example, verbatim from the reference.
  const sentExample = {
    object: "whatsapp_business_account",
    entry: [{
      id: "102290129340398",
      changes: [{
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
          statuses: [{
            id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
            status: "sent",
            timestamp: "1750025136",
            recipient_id: "16505551234",
            conversation: {
              id: "3883a3db141761abb56fc559df8c970a",
              expiration_timestamp: "1750111536",
              origin: { type: "service" },
            },
            pricing: {
              billable: false,
              pricing_model: "PMP",
              category: "service",
              type: "free_customer_service",
            },
          }],
        },
        field: "messages",
      }],
    }],
  };
  const sent = statusPayload({
    ...meta,
    wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
    recipientId: "16505551234",
    status: "sent",
    timestamp: "1750025136",
    conversation: { id: "3883a3db141761abb56fc559df8c970a" },
  });
  assert.equal(JSON.stringify(sent), JSON.stringify(sentExample)); // same keys, same order

  const statusOf = (p: ReturnType<typeof statusPayload>) => p.entry[0].changes[0].value.statuses[0];
  const delivered = statusPayload({
    ...meta,
    wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA",
    recipientId: "16505551234",
    status: "delivered",
    timestamp: "1750091050",
  });
  assert.equal(
    JSON.stringify(statusOf(delivered)),
    JSON.stringify({
      id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA",
      status: "delivered",
      timestamp: "1750091050",
      recipient_id: "16505551234",
      pricing: { billable: true, pricing_model: "PMP", category: "marketing", type: "regular" },
    }),
  );
  const read = statusPayload({
    ...meta,
    wamid: "wamid.X",
    recipientId: "16505551234",
    status: "read",
    timestamp: 1750091100,
  });
  assert.deepEqual(statusOf(read), {
    id: "wamid.X",
    status: "read",
    timestamp: "1750091100",
    recipient_id: "16505551234",
  });
  const failed = statusPayload({
    ...meta,
    wamid: "wamid.HBgLMTU1NTEzNDA1NjMVAgARGBI2QjM5NTk1MUQ1OEJEOTlFNUMA",
    recipientId: "15551340563",
    status: "failed",
    timestamp: "1708603746",
    error: { code: 131047 },
  });
  assert.equal(
    JSON.stringify(statusOf(failed)),
    JSON.stringify({
      id: "wamid.HBgLMTU1NTEzNDA1NjMVAgARGBI2QjM5NTk1MUQ1OEJEOTlFNUMA",
      status: "failed",
      timestamp: "1708603746",
      recipient_id: "15551340563",
      errors: [{
        code: 131047,
        title: "Re-engagement message",
        message: "Re-engagement message",
        error_data: {
          details:
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        },
        href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
      }],
    }),
  );
  const noPricing = statusPayload({
    ...meta,
    wamid: "w",
    recipientId: "1",
    status: "sent",
    pricing: false,
    conversation: false,
  });
  assert.deepEqual(Object.keys(statusOf(noPricing)), ["id", "status", "timestamp", "recipient_id"]);
});

Deno.test("graph stand-in: mark as read accepts received wamids only (131009 otherwise)", async () => {
  await withGraph(async (g) => {
    const r = await startReceiver();
    try {
      const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
      const payload = inboundTextPayload({
        wabaId: "419561257915477",
        phoneNumberId: PHONE_ID,
        displayPhoneNumber: "15550783881",
        from: TO,
        name: "Sheena Nelson",
        text: "hi",
        wamid,
      });
      const read = { messaging_product: "whatsapp", status: "read", message_id: wamid };

      assertMetaError(await send(g, read), 400, 131009, {
        message: "(#131009) Parameter value is not valid",
      });
      await (await g.deliverWebhook(r.url, payload, "s")).body?.cancel();

      let a = await send(g, read);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { success: true });
      // The typing-indicator variant, verbatim shape from A.2.
      a = await send(g, {
        message_id: wamid,
        messaging_product: "whatsapp",
        status: "read",
        typing_indicator: { type: "text" },
      });
      assert.deepEqual(a.body, { success: true });
      assert.deepEqual(g.reads.map((x) => [x.messageId, x.typingIndicator]), [[wamid, false], [wamid, true]]);

      // Received by this number only: another number cannot mark it read.
      assertMetaError(await send(g, read, OTHER_TOKEN, OTHER_PHONE_ID), 400, 131009);
      g.markReceived(OTHER_PHONE_ID, wamid);
      assert.deepEqual((await send(g, read, OTHER_TOKEN, OTHER_PHONE_ID)).body, { success: true });

      assertMetaError(await send(g, { messaging_product: "whatsapp", status: "read" }), 400, 131008, {
        details: /message_id/,
      });
      assertMetaError(await send(g, { ...read, status: "delivered" }), 400, 100);
      assert.equal(g.sent.length, 0);
    } finally {
      await r.close();
    }
  });
});

Deno.test("graph stand-in: GET phone number node, default and ?fields=", async () => {
  await withGraph(async (g) => {
    let a = await call(g, "GET", `/${PHONE_ID}`);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, {
      verified_name: "Lucky Shrub",
      code_verification_status: "VERIFIED",
      display_phone_number: "15550783881",
      quality_rating: "GREEN",
      platform_type: "CLOUD_API",
      throughput: { level: "STANDARD" },
      messaging_limit_tier: "TIER_1K",
      id: PHONE_ID,
    });
    a = await call(g, "GET", `/${PHONE_ID}?fields=quality_rating,messaging_limit_tier`);
    assert.equal(
      JSON.stringify(a.body),
      JSON.stringify({ quality_rating: "GREEN", messaging_limit_tier: "TIER_1K", id: PHONE_ID }),
    );
    // Unset fields are left out, as Graph does.
    a = await call(
      g,
      "GET",
      `/${OTHER_PHONE_ID}?fields=messaging_limit_tier,verified_name`,
      undefined,
      OTHER_TOKEN,
    );
    assert.deepEqual(a.body, { verified_name: "Other Biz", id: OTHER_PHONE_ID });

    a = await call(g, "GET", `/${PHONE_ID}?fields=nope`);
    assertMetaError(a, 400, 100, {
      message: "(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)",
    });
    assertMetaError(await call(g, "GET", `/${PHONE_ID}`, undefined, "bad"), 401, 190);
    assertMetaError(await call(g, "GET", `/${PHONE_ID}`, undefined, null), 401, 190);
    assertMetaError(await call(g, "GET", "/123"), 400, 100, {
      subcode: 33,
      message: /^Unsupported get request/,
    });
  });
});

Deno.test("graph stand-in: other paths, versions and bodies; requests are recorded; close() frees the port", async () => {
  const g = await startGraphStandIn({ version: "v25.0" });
  g.addNumber({ phoneNumberId: PHONE_ID, accessToken: TOKEN, displayPhoneNumber: "1", verifiedName: "V" });
  try {
    const wrongVersion = await fetch(`${g.url}/v23.0/${PHONE_ID}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: V_TEXT,
    });
    assert.equal(wrongVersion.status, 400);
    assert.equal(((await wrongVersion.json()).error as Record<string, unknown>).code, 2500);

    const a = await send(g, "{not json");
    assertMetaError(a, 400, 100);
    assertSendAnswer(await send(g, fill(V_TEXT)), TO);
    assert.deepEqual(g.requests.map((r) => [r.method, r.path]), [
      ["POST", `/v23.0/${PHONE_ID}/messages`],
      ["POST", `/v25.0/${PHONE_ID}/messages`],
      ["POST", `/v25.0/${PHONE_ID}/messages`],
    ]);
    assert.equal(g.requests[1].body, "{not json");
    assert.deepEqual(g.requests[2].body, fill(V_TEXT));
  } finally {
    await g.close();
    await g.close(); // idempotent
  }
  await assert.rejects(fetch(`${g.url}/v25.0/${PHONE_ID}`));
});
