import type {
  Check,
  ConnectionStatus,
  OutboundContent,
  ProviderContext,
  ProviderError,
  QrCode,
  SendResult,
  WhatsAppProvider,
} from "./provider.ts";

const TIMEOUT_MS = 20_000;

/** Events our webhook handles; asked for when the instance's webhook is set. */
export const EVOLUTION_EVENTS = ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE", "QRCODE_UPDATED"];

interface EvolutionErrorBody {
  status?: number;
  error?: string;
  response?: { message?: unknown };
}

/** Evolution answers messages as a list, sometimes a list of lists; flatten to one sentence. */
function flatten(message: unknown): string {
  if (Array.isArray(message)) return message.map(flatten).filter(Boolean).join("; ");
  if (message && typeof message === "object") return JSON.stringify(message);
  return message === undefined || message === null ? "" : String(message);
}

/**
 * Evolution API v2 (reference B): an unofficial WhatsApp Web session per instance. No 24-hour
 * window and no templates; buttons and lists render only on some clients.
 */
export class EvolutionProvider implements WhatsAppProvider {
  async #call(
    ctx: ProviderContext,
    method: string,
    path: string,
    body?: unknown,
    query = "",
  ): Promise<{ ok: true; body: unknown } | { ok: false; error: ProviderError }> {
    // Evolution routes are `/<controller>/<action>/<instance name>` (reference B.1).
    const base = (ctx.config.baseUrl ?? "").replace(/\/+$/, "");
    const url = `${base}${path}/${encodeURIComponent(ctx.config.instanceName ?? "")}${query}`;
    let res: Response;
    try {
      res = await ctx.fetch(url, {
        method,
        headers: { apikey: ctx.credentials.api_key ?? "", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const timeout = err instanceof DOMException && err.name === "TimeoutError";
      return {
        ok: false,
        error: {
          code: timeout ? "timeout" : "network",
          title: timeout
            ? "The Evolution server did not answer in time"
            : "The Evolution server could not be reached",
          detail: err instanceof Error ? err.message : String(err),
          retryable: true,
        },
      };
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: an error page in front of Evolution
    }
    if (res.ok) return { ok: true, body: parsed };
    const e = (parsed ?? {}) as EvolutionErrorBody;
    const detail = flatten(e.response?.message) || text.slice(0, 300);
    const closed = /connection closed|not connected/i.test(detail);
    return {
      ok: false,
      error: {
        code: closed
          ? "connection_closed"
          : res.status === 401
          ? "unauthorized"
          : res.status === 404
          ? "instance_not_found"
          : `http_${res.status}`,
        title: closed
          ? "The WhatsApp session of this instance is not connected"
          : res.status === 401
          ? "The Evolution API key was refused"
          : res.status === 404
          ? "The Evolution instance does not exist"
          : `Evolution answered ${res.status} ${e.error ?? ""}`.trim(),
        detail,
        retryable: closed || res.status >= 500 || res.status === 429,
      },
    };
  }

  #body(
    to: string,
    content: OutboundContent,
    replyTo?: string,
  ): { action: string; body: Record<string, unknown> } | ProviderError {
    const number = to.replace(/\D/g, "");
    const quoted = replyTo ? { quoted: { key: { id: replyTo } } } : {};
    switch (content.type) {
      case "text":
        return {
          action: "sendText",
          body: {
            number,
            text: content.text.body,
            linkPreview: content.text.preview_url ?? false,
            ...quoted,
          },
        };
      case "image":
      case "video":
      case "document":
        return {
          action: "sendMedia",
          body: {
            number,
            mediatype: content.type,
            media: content.media.link,
            ...(content.media.caption ? { caption: content.media.caption } : {}),
            ...(content.media.filename ? { fileName: content.media.filename } : {}),
            ...quoted,
          },
        };
      case "audio":
        return { action: "sendWhatsAppAudio", body: { number, audio: content.media.link, ...quoted } };
      case "sticker":
        return { action: "sendSticker", body: { number, sticker: content.media.link } };
      case "location":
        return {
          action: "sendLocation",
          body: {
            number,
            latitude: content.location.latitude,
            longitude: content.location.longitude,
            name: content.location.name ?? "",
            address: content.location.address ?? "",
          },
        };
      case "contacts":
        return {
          action: "sendContact",
          body: {
            number,
            contact: content.contacts.map((c) => ({
              fullName: c.name.formatted_name,
              phoneNumber: c.phones[0]?.phone ?? "",
              ...(c.phones[0]?.wa_id ? { wuid: c.phones[0].wa_id } : {}),
              ...(c.emails?.[0] ? { email: c.emails[0].email } : {}),
              ...(c.org?.company ? { organization: c.org.company } : {}),
            })),
          },
        };
      case "interactive": {
        const i = content.interactive;
        if (i.type === "button") {
          return {
            action: "sendButtons",
            body: {
              number,
              title: i.header?.text ?? "",
              description: i.body.text,
              ...(i.footer ? { footer: i.footer.text } : {}),
              buttons: i.action.buttons.map((b) => ({
                type: "reply",
                displayText: b.reply.title,
                id: b.reply.id,
              })),
            },
          };
        }
        return {
          action: "sendList",
          body: {
            number,
            title: i.header?.text ?? "",
            description: i.body.text,
            buttonText: i.action.button,
            footerText: i.footer?.text ?? "",
            sections: i.action.sections.map((s) => ({
              title: s.title ?? "",
              rows: s.rows.map((r) => ({
                title: r.title,
                rowId: r.id,
                ...(r.description ? { description: r.description } : {}),
              })),
            })),
          },
        };
      }
      case "template":
        return {
          code: "unsupported",
          title: "Templates need the official WhatsApp API; Evolution numbers send free-form messages",
          retryable: false,
        };
      case "reaction":
        return {
          code: "unsupported",
          title: "Reactions are not sent through Evolution numbers",
          retryable: false,
        };
    }
  }

  async send(
    ctx: ProviderContext,
    to: string,
    content: OutboundContent,
    replyTo?: string,
  ): Promise<SendResult> {
    const built = this.#body(to, content, replyTo);
    if ("code" in built) return { ok: false, error: built };
    const res = await this.#call(ctx, "POST", `/message/${built.action}`, built.body);
    if (!res.ok) return res;
    const key = (res.body as { key?: { id?: string; remoteJid?: string } })?.key;
    if (!key?.id) {
      return {
        ok: false,
        error: { code: "bad_response", title: "Evolution answered without a message key", retryable: false },
      };
    }
    return { ok: true, providerMessageId: key.id, waId: key.remoteJid?.split("@")[0] };
  }

  async markRead(ctx: ProviderContext, providerMessageId: string, to: string) {
    const res = await this.#call(ctx, "POST", "/chat/markMessageAsRead", {
      readMessages: [{
        remoteJid: `${to.replace(/\D/g, "")}@s.whatsapp.net`,
        fromMe: false,
        id: providerMessageId,
      }],
    });
    return res.ok ? { ok: true as const } : res;
  }

  async check(ctx: ProviderContext): Promise<{ ok: boolean; checks: Check[]; status: ConnectionStatus }> {
    const status: ConnectionStatus = {
      connection_state: "unknown",
      quality_rating: null,
      messaging_tier: null,
      display_name: null,
      phone_number: null,
    };
    const res = await this.#call(ctx, "GET", "/instance/connectionState");
    if (!res.ok) {
      return {
        ok: false,
        checks: [{
          name: "evolution_api",
          ok: false,
          detail: `${res.error.title}${res.error.detail ? `: ${res.error.detail}` : ""}`,
        }],
        status: { ...status, connection_state: "error" },
      };
    }
    const state = (res.body as { instance?: { state?: string } })?.instance?.state ?? "unknown";
    const connection = state === "open"
      ? "connected"
      : state === "connecting"
      ? "connecting"
      : "disconnected";
    return {
      ok: state === "open",
      checks: [
        { name: "evolution_api", ok: true, detail: "reached the instance" },
        {
          name: "session",
          ok: state === "open",
          detail: state === "open"
            ? "WhatsApp session connected"
            : `WhatsApp session ${state}; scan the QR code to connect`,
        },
      ],
      status: { ...status, connection_state: connection },
    };
  }

  async qrcode(
    ctx: ProviderContext,
    pairingNumber?: string,
  ): Promise<{ ok: true; qr: QrCode } | { ok: false; error: ProviderError }> {
    const query = pairingNumber ? `?number=${encodeURIComponent(pairingNumber.replace(/\D/g, ""))}` : "";
    const res = await this.#call(ctx, "GET", "/instance/connect", undefined, query);
    if (!res.ok) return res;
    const b = res.body as {
      base64?: string;
      code?: string;
      pairingCode?: string | null;
      instance?: { state?: string };
    };
    if (b?.instance?.state === "open") {
      return {
        ok: true,
        qr: { state: "connected", qr_code: null, qr_image_base64: null, pairing_code: null },
      };
    }
    return {
      ok: true,
      qr: {
        state: "awaiting_scan",
        qr_code: b?.code ?? null,
        qr_image_base64: b?.base64 ?? null,
        pairing_code: b?.pairingCode ?? null,
      },
    };
  }

  /** Points the instance's webhook at us, authenticated by the instance's own key. */
  async setWebhook(ctx: ProviderContext, url: string) {
    return await this.#call(ctx, "POST", "/webhook/set", {
      webhook: {
        enabled: true,
        url,
        headers: { apikey: ctx.credentials.api_key ?? "" },
        byEvents: false,
        base64: false,
        events: EVOLUTION_EVENTS,
      },
    });
  }
}
