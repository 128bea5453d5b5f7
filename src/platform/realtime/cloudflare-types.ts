/**
 * The few Cloudflare Workers runtime types we use, declared here instead of pulling
 * `@cloudflare/workers-types`, whose globals clash with Deno's own lib under `deno check`.
 */

export interface DurableObjectId {
  toString(): string;
}

export interface DurableObjectStub {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub;
}

/** A server-side socket of the hibernation API. */
export interface HibernatableWebSocket {
  readonly readyState: number;
  send(message: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

export interface DurableObjectState {
  acceptWebSocket(ws: HibernatableWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatableWebSocket[];
  /** A request text the runtime answers itself, without waking the object. */
  setWebSocketAutoResponse(pair?: WebSocketRequestResponsePair): void;
  /** When the runtime last answered `ws` with the auto-response, if ever. */
  getWebSocketAutoResponseTimestamp(ws: HibernatableWebSocket): Date | null;
}

/** workerd's `WebSocketRequestResponsePair` (opaque here). */
export interface WebSocketRequestResponsePair {
  readonly request: string;
  readonly response: string;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  props: unknown;
}

export interface ScheduledController {
  scheduledTime: number;
  cron: string;
}

/** `new WebSocketPair()` exists only on workerd. */
export function webSocketPair(): [WebSocket, HibernatableWebSocket] {
  const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, unknown> }).WebSocketPair;
  const pair = new Pair();
  return [pair[0] as WebSocket, pair[1] as HibernatableWebSocket];
}

/** `new WebSocketRequestResponsePair(request, response)`, which exists only on workerd. */
export function autoResponsePair(request: string, response: string): WebSocketRequestResponsePair {
  const Pair = (globalThis as unknown as {
    WebSocketRequestResponsePair: new (request: string, response: string) => WebSocketRequestResponsePair;
  }).WebSocketRequestResponsePair;
  return new Pair(request, response);
}
