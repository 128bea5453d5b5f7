import type { MessageType } from "../../../db/schema/index.ts";

/** Provider-independent inbound events, what both webhook parsers produce. */
export interface InboundMessage {
  providerMessageId: string;
  /** The customer's WhatsApp id (digits). */
  from: string;
  profileName?: string;
  timestamp: Date;
  type: MessageType;
  content: Record<string, unknown>;
  /** Readable text for the inbox and search. */
  body: string | null;
  replyTo?: string;
  /** A message the business sent from its own phone (Evolution's `fromMe`). */
  fromBusiness?: boolean;
}

export type StatusName = "sent" | "delivered" | "read" | "failed";

export interface InboundStatus {
  providerMessageId: string;
  status: StatusName;
  timestamp: Date;
  recipient?: string;
  error?: { code: string; title: string; detail?: string };
  detail?: Record<string, unknown>;
}

export type NormalizedEvent =
  /** `route` finds the number: Meta's phone_number_id or Evolution's instance. */
  | { kind: "message"; route: string; message: InboundMessage }
  | { kind: "status"; route: string; status: InboundStatus }
  | {
    kind: "connection";
    route: string;
    state: "connected" | "connecting" | "disconnected" | "error";
    reason?: string;
  }
  | { kind: "qrcode"; route: string; code: string | null; base64: string | null; pairingCode: string | null }
  | { kind: "quality"; route: string; rating: string | null; tier: string | null }
  | { kind: "error"; route: string; error: { code: string; title: string; detail?: string } };
