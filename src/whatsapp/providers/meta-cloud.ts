import type {
  Check,
  ConnectionStatus,
  ProviderContext,
  ProviderError,
  SendResult,
  WhatsAppProvider,
} from "./provider.ts";
import { metaError } from "./meta-errors.ts";

const TIMEOUT_MS = 15_000;

interface GraphError {
  error?: { message?: string; code?: number; error_subcode?: number; error_data?: { details?: string } };
}

/** Meta's WhatsApp Cloud API over the Graph API (reference A.1–A.5). */
export class MetaCloudProvider implements WhatsAppProvider {
  #url(ctx: ProviderContext, path = ""): string {
    return `${ctx.graph.baseUrl}/${ctx.graph.version}/${
      encodeURIComponent(ctx.config.phoneNumberId ?? "")
    }${path}`;
  }

  async #call(
    ctx: ProviderContext,
    path: string,
    init: RequestInit,
  ): Promise<{ ok: true; body: unknown } | { ok: false; error: ProviderError }> {
    let res: Response;
    try {
      res = await ctx.fetch(this.#url(ctx, path), {
        ...init,
        headers: {
          authorization: `Bearer ${ctx.credentials.access_token ?? ""}`,
          "content-type": "application/json",
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const timeout = err instanceof DOMException && err.name === "TimeoutError";
      return {
        ok: false,
        error: {
          code: timeout ? "timeout" : "network",
          title: timeout ? "WhatsApp did not answer in time" : "WhatsApp could not be reached",
          detail: err instanceof Error ? err.message : String(err),
          retryable: true,
        },
      };
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Graph always answers JSON; anything else is a proxy or outage page.
    }
    if (res.ok) return { ok: true, body };
    const e = (body as GraphError | null)?.error;
    if (!e?.code && e?.code !== 0) {
      return {
        ok: false,
        error: {
          code: `http_${res.status}`,
          title: `WhatsApp answered HTTP ${res.status}`,
          detail: text.slice(0, 300),
          retryable: res.status >= 500 || res.status === 429,
        },
      };
    }
    return { ok: false, error: metaError(e.code, e.message, e.error_data?.details) };
  }

  async send(
    ctx: ProviderContext,
    to: string,
    content: Parameters<WhatsAppProvider["send"]>[2],
    replyTo?: string,
  ): Promise<SendResult> {
    const { type } = content;
    const payload =
      type === "image" || type === "video" || type === "document" || type === "audio" || type === "sticker"
        ? { [type]: content.media }
        : { [type]: (content as unknown as Record<string, unknown>)[type] };
    const res = await this.#call(ctx, "/messages", {
      method: "POST",
      body: JSON.stringify({
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to,
        type,
        ...payload,
        ...(replyTo && type !== "reaction" ? { context: { message_id: replyTo } } : {}),
      }),
    });
    if (!res.ok) return res;
    const body = res.body as { messages?: { id: string }[]; contacts?: { wa_id?: string }[] };
    const id = body?.messages?.[0]?.id;
    if (!id) {
      return {
        ok: false,
        error: { code: "bad_response", title: "WhatsApp answered without a message id", retryable: false },
      };
    }
    return { ok: true, providerMessageId: id, waId: body.contacts?.[0]?.wa_id };
  }

  async markRead(ctx: ProviderContext, providerMessageId: string) {
    const res = await this.#call(ctx, "/messages", {
      method: "POST",
      body: JSON.stringify({ messaging_product: "whatsapp", status: "read", message_id: providerMessageId }),
    });
    return res.ok ? { ok: true as const } : res;
  }

  async check(ctx: ProviderContext): Promise<{ ok: boolean; checks: Check[]; status: ConnectionStatus }> {
    const checks: Check[] = [];
    if (!ctx.config.phoneNumberId) checks.push({ name: "phone_number_id", ok: false, detail: "not set" });
    if (!ctx.credentials.access_token) checks.push({ name: "access_token", ok: false, detail: "not set" });
    const status: ConnectionStatus = {
      connection_state: "unknown",
      quality_rating: null,
      messaging_tier: null,
      display_name: null,
      phone_number: null,
    };
    if (checks.length > 0) return { ok: false, checks, status: { ...status, connection_state: "error" } };
    const res = await this.#call(
      ctx,
      "?fields=verified_name,display_phone_number,quality_rating,messaging_limit_tier",
      {
        method: "GET",
      },
    );
    if (!res.ok) {
      checks.push({
        name: "graph_api",
        ok: false,
        detail: `${res.error.title}${res.error.detail ? `: ${res.error.detail}` : ""}`,
      });
      return {
        ok: false,
        checks,
        status: { ...status, connection_state: res.error.retryable ? "unknown" : "error" },
      };
    }
    const b = res.body as {
      verified_name?: string;
      display_phone_number?: string;
      quality_rating?: string;
      messaging_limit_tier?: string;
    };
    checks.push({
      name: "graph_api",
      ok: true,
      detail: `reached the number ${b.display_phone_number ?? ctx.config.phoneNumberId}`,
    });
    checks.push({
      name: "quality",
      ok: b.quality_rating !== "RED" && b.quality_rating !== "FLAGGED",
      detail: `quality rating ${b.quality_rating ?? "unknown"}`,
    });
    return {
      ok: checks.every((c) => c.ok),
      checks,
      status: {
        connection_state: "connected",
        quality_rating: b.quality_rating ?? null,
        messaging_tier: b.messaging_limit_tier ?? null,
        display_name: b.verified_name ?? null,
        phone_number: b.display_phone_number ?? null,
      },
    };
  }
}
