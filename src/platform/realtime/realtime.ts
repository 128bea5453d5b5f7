/** An event pushed to connected clients of one tenant (WebSocket rooms). */
export interface RealtimeMessage {
  tenantId: string;
  /** `messages`, `conversations`, `contacts`, `whatsapp`, `campaigns`, `agents`. */
  channel: string;
  event: string;
  data: unknown;
  id: string;
  createdAt: string;
}

/**
 * Who a WebSocket belongs to, fixed at the handshake by the route that authenticated it. The room
 * never sees a token: only this.
 */
export interface RealtimeIdentity {
  userId: string;
  tenantId: string;
  /** The channels this user's permissions allow; a subscription to any other is denied. */
  channelsAllowed: string[];
  /** Epoch milliseconds; once passed the socket is closed with 4001 "token expired". */
  tokenExpiresAt: number;
}

export interface ConnectOptions {
  /** The subprotocol to echo in the 101 (`pytake`), never the one that carries the token. */
  protocol?: string;
}

/** The upgrade request is not a WebSocket handshake the runtime can accept (a 400, not a 500). */
export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HandshakeError";
  }
}

/**
 * Realtime port: an in-process hub on Deno, a Durable Object per tenant on Workers. The rest of
 * the app publishes through it; the `/ws` route connects sockets to it.
 */
export interface Realtime {
  publish(message: RealtimeMessage): Promise<void>;
  /** Users of a tenant with a live connection (dashboard presence). */
  online(tenantId: string): Promise<string[]>;
  /**
   * Accepts an authenticated WebSocket upgrade into the tenant's room and answers the 101.
   * Rejects with `HandshakeError` when the request is not a valid handshake.
   */
  connect(req: Request, who: RealtimeIdentity, opts?: ConnectOptions): Promise<Response>;
}
