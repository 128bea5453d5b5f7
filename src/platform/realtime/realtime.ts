/** An event pushed to connected clients of one tenant (WebSocket rooms). */
export interface RealtimeMessage {
  tenantId: string;
  /** `messages`, `conversations`, `campaigns`, `agents`. */
  channel: string;
  event: string;
  data: unknown;
  id: string;
  createdAt: string;
}

/**
 * Realtime port: an in-process hub on Deno, a Durable Object per tenant on Workers. The WebSocket
 * issue builds both; the rest of the app only publishes through this interface.
 */
export interface Realtime {
  publish(message: RealtimeMessage): Promise<void>;
  /** Users of a tenant with a live connection (dashboard presence). */
  online(tenantId: string): Promise<string[]>;
}
