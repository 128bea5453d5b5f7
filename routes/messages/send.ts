import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { App } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import { acceptedContent, jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import type { OutboundContent } from "../../src/whatsapp/providers/provider.ts";
import { sendMessage } from "../../src/whatsapp/send-message.ts";
import { followQueued, MESSAGE_STATUS_PATH, SendCommon, SendResponseSchema, TAG } from "./schemas.ts";

/** WhatsApp's own limits (reference A.4), checked before anything is sent. */
const Url = z.url({ protocol: /^https?$/ }).max(2048).openapi({ example: "https://example.com/arquivo.pdf" });
const Caption = z.string().max(1024);
const Header = z.string().trim().min(1).max(60);
const Footer = z.string().trim().min(1).max(60);

export const SendTextBody = z.object({
  ...SendCommon,
  message: z.string().min(1).max(4096).openapi({ example: "Olá, tudo bem?" }),
  preview_url: z.boolean().optional().openapi({ description: "Render a preview of the first link." }),
});

export const SendTemplateBody = z.object({
  ...SendCommon,
  template_name: z.string().trim().regex(/^[a-z0-9_]{1,512}$/, "Lower-case letters, digits and _").openapi({
    example: "welcome_message",
  }),
  language: z.string().trim().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "Like pt_BR or en_US").default("pt_BR"),
  parameters: z.array(z.string().min(1).max(1024)).max(60).optional().openapi({
    description: "Values of the body's {{1}}, {{2}}, … in order.",
    example: ["João", "10%"],
  }),
  components: z.array(z.record(z.string(), z.unknown())).max(20).optional().openapi({
    description: "Meta's `components` as they are, for headers and buttons; replaces `parameters`.",
  }),
});

export const SendMediaBody = z.object({
  ...SendCommon,
  type: z.enum(["image", "video", "document", "audio", "sticker"]),
  media_url: Url,
  caption: Caption.optional(),
  filename: z.string().trim().min(1).max(240).optional(),
}).refine((b) => !(b.caption && (b.type === "audio" || b.type === "sticker")), {
  message: "Audio and stickers take no caption",
  path: ["caption"],
});

export const SendAudioBody = z.object({ ...SendCommon, audio_url: Url });

export const SendDocumentBody = z.object({
  ...SendCommon,
  document_url: Url,
  filename: z.string().trim().min(1).max(240).optional().openapi({ example: "contrato.pdf" }),
  caption: Caption.optional(),
});

export const SendLocationBody = z.object({
  ...SendCommon,
  latitude: z.number().min(-90).max(90).openapi({ example: -23.5505 }),
  longitude: z.number().min(-180).max(180).openapi({ example: -46.6333 }),
  name: z.string().max(1000).optional().openapi({ example: "São Paulo" }),
  address: z.string().max(1000).optional().openapi({ example: "São Paulo, SP, Brasil" }),
});

export const SendContactBody = z.object({
  ...SendCommon,
  contact: z.object({
    name: z.string().trim().min(1).max(200).openapi({ example: "João Silva" }),
    phone: z.string().trim().min(8).max(24).openapi({ example: "+5511888888888" }),
    email: z.email().optional(),
    organization: z.string().max(200).optional(),
  }),
});

export const SendButtonsBody = z.object({
  ...SendCommon,
  message: z.string().min(1).max(1024).openapi({ example: "Escolha uma opção:" }),
  header: Header.optional(),
  footer: Footer.optional(),
  buttons: z.array(z.object({
    id: z.string().trim().min(1).max(256).openapi({ example: "1" }),
    title: z.string().trim().min(1).max(20).openapi({ example: "Opção 1" }),
  })).min(1).max(3),
}).refine((b) => new Set(b.buttons.map((x) => x.title)).size === b.buttons.length, {
  message: "Button titles must be unique",
  path: ["buttons"],
}).refine((b) => new Set(b.buttons.map((x) => x.id)).size === b.buttons.length, {
  message: "Button ids must be unique",
  path: ["buttons"],
});

export const SendListBody = z.object({
  ...SendCommon,
  title: Header.optional().openapi({ description: "The list's header.", example: "Menu" }),
  body: z.string().min(1).max(1024).openapi({ example: "Escolha uma opção do menu" }),
  footer: Footer.optional(),
  button_text: z.string().trim().min(1).max(20).openapi({ example: "Ver opções" }),
  sections: z.array(z.object({
    title: z.string().trim().min(1).max(24).optional().openapi({ example: "Financeiro" }),
    rows: z.array(z.object({
      id: z.string().trim().min(1).max(200).openapi({ example: "boleto" }),
      title: z.string().trim().min(1).max(24).openapi({ example: "Segunda via" }),
      description: z.string().max(72).optional().openapi({ example: "Boleto do mês" }),
    })).min(1),
  })).min(1).max(10),
}).refine((b) => b.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, {
  message: "At most 10 rows across all sections",
  path: ["sections"],
}).refine((b) => b.sections.length === 1 || b.sections.every((s) => s.title), {
  message: "Every section needs a title when there are several",
  path: ["sections"],
}).refine((b) => {
  const ids = b.sections.flatMap((s) => s.rows.map((r) => r.id));
  return new Set(ids).size === ids.length;
}, { message: "Row ids must be unique", path: ["sections"] });

const responses = {
  201: jsonContent(SendResponseSchema, "Accepted by WhatsApp (`sent`); receipts follow as events."),
  202: acceptedContent(
    SendResponseSchema,
    "Stored; a transient provider failure is being retried (`queued`).",
    MESSAGE_STATUS_PATH,
  ),
  409: problemResponse(
    "`window_closed`: over 24 hours since the customer last wrote (send a template); or no active number; or a blocked contact.",
  ),
  422: problemResponse(
    "Invalid input, or `provider_rejected`: WhatsApp refused it (`provider_code` says why).",
  ),
  429: problemResponse(
    "`rate_limited` (the number's throughput or the plan's API rate) or `quota_exceeded` (monthly messages).",
  ),
};

const description = (what: string) =>
  `${what} Accepts \`Idempotency-Key\`: a retry with the same key returns the first answer and sends nothing twice. Free-form messages need the 24-hour customer-service window to be open on Meta and sandbox numbers; templates do not.`;

function defineSend<S extends z.ZodType>(path: string, operationId: string, summary: string, body: S) {
  return defineRoute({ permission: "write:messages" }, {
    method: "post",
    path,
    tags: [TAG],
    operationId,
    summary,
    description: description(summary + "."),
    middleware: [idempotent],
    request: { body: jsonBody(body) },
    responses,
  });
}

export const sendTextRoute = defineSend(
  "/api/v1/whatsapp/send",
  "sendText",
  "Send a text message",
  SendTextBody,
);
export const sendTemplateRoute = defineSend(
  "/api/v1/whatsapp/send-template",
  "sendTemplate",
  "Send an approved template",
  SendTemplateBody,
);
export const sendMediaRoute = defineSend(
  "/api/v1/whatsapp/send-media",
  "sendMedia",
  "Send an image, video, document, audio or sticker by URL",
  SendMediaBody,
);
export const sendAudioRoute = defineSend(
  "/api/v1/whatsapp/send-audio",
  "sendAudio",
  "Send an audio by URL",
  SendAudioBody,
);
export const sendDocumentRoute = defineSend(
  "/api/v1/whatsapp/send-document",
  "sendDocument",
  "Send a document by URL",
  SendDocumentBody,
);
export const sendLocationRoute = defineSend(
  "/api/v1/whatsapp/send-location",
  "sendLocation",
  "Send a location",
  SendLocationBody,
);
export const sendContactRoute = defineSend(
  "/api/v1/whatsapp/send-contact",
  "sendContact",
  "Send a contact card",
  SendContactBody,
);
export const sendButtonsRoute = defineSend(
  "/api/v1/whatsapp/send-buttons",
  "sendButtons",
  "Send up to three reply buttons",
  SendButtonsBody,
);
export const sendListRoute = defineSend(
  "/api/v1/whatsapp/send-list",
  "sendList",
  "Send a list menu",
  SendListBody,
);

async function send(
  c: Context<AppEnv>,
  input: { to: string; config_id?: string; reply_to_message_id?: string },
  content: OutboundContent,
) {
  const result = unwrap(
    await sendMessage(c.get("services"), c.get("principal")!, {
      to: input.to,
      configId: input.config_id,
      replyToMessageId: input.reply_to_message_id,
      content,
    }),
  );
  followQueued(c, result);
  return c.json(result, result.outcome === "sent" ? 201 : 202);
}

export const registerSendRoutes = (app: App) => {
  app.openapi(sendTextRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, {
      type: "text",
      text: { body: b.message, ...(b.preview_url ? { preview_url: true } : {}) },
    });
  });
  app.openapi(sendTemplateRoute, (c) => {
    const b = c.req.valid("json");
    const components = b.components ??
      (b.parameters?.length
        ? [{ type: "body", parameters: b.parameters.map((text) => ({ type: "text", text })) }]
        : undefined);
    return send(c, b, {
      type: "template",
      template: {
        name: b.template_name,
        language: { code: b.language },
        ...(components ? { components } : {}),
      },
    });
  });
  app.openapi(sendMediaRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, {
      type: b.type,
      media: {
        link: b.media_url,
        ...(b.caption ? { caption: b.caption } : {}),
        ...(b.filename && b.type === "document" ? { filename: b.filename } : {}),
      },
    });
  });
  app.openapi(sendAudioRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, { type: "audio", media: { link: b.audio_url } });
  });
  app.openapi(sendDocumentRoute, (c) => {
    const b = c.req.valid("json");
    const filename = b.filename ??
      decodeURIComponent(new URL(b.document_url).pathname.split("/").pop() || "documento");
    return send(c, b, {
      type: "document",
      media: { link: b.document_url, filename, ...(b.caption ? { caption: b.caption } : {}) },
    });
  });
  app.openapi(sendLocationRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, {
      type: "location",
      location: {
        latitude: b.latitude,
        longitude: b.longitude,
        ...(b.name ? { name: b.name } : {}),
        ...(b.address ? { address: b.address } : {}),
      },
    });
  });
  app.openapi(sendContactRoute, (c) => {
    const b = c.req.valid("json");
    const [first, ...rest] = b.contact.name.split(/\s+/);
    return send(c, b, {
      type: "contacts",
      contacts: [{
        name: {
          formatted_name: b.contact.name,
          first_name: first,
          ...(rest.length ? { last_name: rest.join(" ") } : {}),
        },
        phones: [{ phone: b.contact.phone, type: "CELL" }],
        ...(b.contact.email ? { emails: [{ email: b.contact.email, type: "WORK" }] } : {}),
        ...(b.contact.organization ? { org: { company: b.contact.organization } } : {}),
      }],
    });
  });
  app.openapi(sendButtonsRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, {
      type: "interactive",
      interactive: {
        type: "button",
        ...(b.header ? { header: { type: "text" as const, text: b.header } } : {}),
        body: { text: b.message },
        ...(b.footer ? { footer: { text: b.footer } } : {}),
        action: {
          buttons: b.buttons.map((x) => ({ type: "reply" as const, reply: { id: x.id, title: x.title } })),
        },
      },
    });
  });
  app.openapi(sendListRoute, (c) => {
    const b = c.req.valid("json");
    return send(c, b, {
      type: "interactive",
      interactive: {
        type: "list",
        ...(b.title ? { header: { type: "text" as const, text: b.title } } : {}),
        body: { text: b.body },
        ...(b.footer ? { footer: { text: b.footer } } : {}),
        action: { button: b.button_text, sections: b.sections },
      },
    });
  });
};
