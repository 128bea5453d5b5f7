import type { whatsappConfigs } from "../../../db/schema/index.ts";

export type ConfigRow = typeof whatsappConfigs.$inferSelect;

/** What a number's credential box holds, by API type. */
export interface Credentials {
  access_token?: string;
  app_secret?: string;
  verify_token?: string;
  api_key?: string;
}

/**
 * A message body in Meta's own shape (`type` plus the object of that name), which is also what
 * `messages.content` stores. Other providers translate from it.
 */
export type OutboundContent =
  | { type: "text"; text: { body: string; preview_url?: boolean } }
  | { type: "image" | "video" | "document" | "audio" | "sticker"; media: MediaRef }
  | { type: "location"; location: { latitude: number; longitude: number; name?: string; address?: string } }
  | { type: "contacts"; contacts: ContactCard[] }
  | { type: "interactive"; interactive: Interactive }
  | { type: "template"; template: TemplateRef }
  | { type: "reaction"; reaction: { message_id: string; emoji: string } };

export interface MediaRef {
  link: string;
  caption?: string;
  filename?: string;
}

export interface ContactCard {
  name: { formatted_name: string; first_name?: string; last_name?: string };
  phones: { phone: string; wa_id?: string; type?: string }[];
  emails?: { email: string; type?: string }[];
  org?: { company?: string };
}

export type Interactive =
  | {
    type: "button";
    header?: { type: "text"; text: string };
    body: { text: string };
    footer?: { text: string };
    action: { buttons: { type: "reply"; reply: { id: string; title: string } }[] };
  }
  | {
    type: "list";
    header?: { type: "text"; text: string };
    body: { text: string };
    footer?: { text: string };
    action: {
      button: string;
      sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    };
  };

export interface TemplateRef {
  name: string;
  language: { code: string };
  components?: unknown[];
}

export interface ProviderError {
  /** The provider's code as a string (`131047`), or ours (`network`, `timeout`). */
  code: string;
  title: string;
  detail?: string;
  /** Worth trying again later (rate limits, outages); false when only a change can help. */
  retryable: boolean;
}

export type SendResult =
  | { ok: true; providerMessageId: string; waId?: string }
  | { ok: false; error: ProviderError };

export interface ConnectionStatus {
  connection_state: "connected" | "connecting" | "disconnected" | "error" | "unknown";
  quality_rating: string | null;
  messaging_tier: string | null;
  display_name: string | null;
  phone_number: string | null;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface QrCode {
  state: "awaiting_scan" | "connected";
  qr_code: string | null;
  qr_image_base64: string | null;
  pairing_code: string | null;
}

export interface ProviderContext {
  config: ConfigRow;
  credentials: Credentials;
  fetch: typeof fetch;
  graph: { baseUrl: string; version: string };
}

/** One outside system that carries WhatsApp messages. */
export interface WhatsAppProvider {
  send(ctx: ProviderContext, to: string, content: OutboundContent, replyTo?: string): Promise<SendResult>;
  markRead(
    ctx: ProviderContext,
    providerMessageId: string,
    to: string,
  ): Promise<{ ok: true } | { ok: false; error: ProviderError }>;
  /** Calls the provider and says what works and what does not. */
  check(ctx: ProviderContext): Promise<{ ok: boolean; checks: Check[]; status: ConnectionStatus }>;
}
