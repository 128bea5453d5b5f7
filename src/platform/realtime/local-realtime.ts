import {
  applyFrame,
  CLOSE_GOING_AWAY,
  CLOSE_TOKEN_EXPIRED,
  closeDue,
  type CloseReason,
  eventFrame,
  HEARTBEAT_TIMEOUT_MS,
  openSession,
  presenceMessage,
  type SocketSession,
  welcomeFrame,
} from "./protocol.ts";
import {
  type ConnectOptions,
  HandshakeError,
  type Realtime,
  type RealtimeIdentity,
  type RealtimeMessage,
} from "./realtime.ts";

export interface LocalRealtimeOptions {
  /** Epoch ms; the services' clock, so tests can move time. */
  now?: () => number;
  /** Silence after which a socket is closed with 4000 (default 90 s). */
  heartbeatTimeoutMs?: number;
  /** How often idle sockets and expired tokens are looked for (default 15 s). */
  sweepIntervalMs?: number;
}

interface Connection {
  tenantId: string;
  socket: WebSocket;
  session: SocketSession;
  /** In the room: opened and not yet gone. */
  joined: boolean;
}

interface Room {
  connections: Set<Connection>;
  /** Open sockets per user, for presence. */
  users: Map<string, number>;
}

/**
 * In-process hub: one process holds every connection (Deno, `deno task dev`, tests). Silent
 * sockets and expired tokens are found by a periodic sweep, which runs only while sockets are
 * open, and also lazily on each event, as the Durable Object room does.
 */
export class LocalRealtime implements Realtime {
  #rooms = new Map<string, Room>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #sweepMs: number;

  constructor(opts: LocalRealtimeOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#timeoutMs = opts.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.#sweepMs = opts.sweepIntervalMs ?? 15_000;
  }

  connect(req: Request, who: RealtimeIdentity, opts: ConnectOptions = {}): Promise<Response> {
    if (typeof Deno === "undefined") {
      return Promise.reject(new Error("LocalRealtime accepts WebSockets on Deno only"));
    }
    let upgrade: Deno.WebSocketUpgrade;
    try {
      upgrade = Deno.upgradeWebSocket(req, opts.protocol ? { protocol: opts.protocol } : {});
    } catch (err) {
      return Promise.reject(new HandshakeError(err instanceof Error ? err.message : String(err)));
    }
    const { socket, response } = upgrade;
    socket.binaryType = "arraybuffer";
    const conn: Connection = {
      tenantId: who.tenantId,
      socket,
      session: openSession(who, this.#now()),
      joined: false,
    };
    socket.onopen = () => this.#join(conn);
    socket.onmessage = (e) => this.#receive(conn, e.data);
    socket.onclose = () => this.#leave(conn);
    // An error is followed by a close event, which does the cleanup.
    socket.onerror = () => {};
    return Promise.resolve(response);
  }

  publish(message: RealtimeMessage): Promise<void> {
    const room = this.#rooms.get(message.tenantId);
    if (!room) return Promise.resolve();
    const frame = eventFrame(message);
    const now = this.#now();
    let due: [Connection, CloseReason][] | undefined;
    for (const conn of room.connections) {
      const reason = closeDue(conn.session, now, this.#timeoutMs);
      if (reason) (due ??= []).push([conn, reason]);
      else if (conn.session.channels.includes(message.channel)) this.#send(conn, frame);
    }
    for (const [conn, reason] of due ?? []) this.#evict(conn, reason);
    return Promise.resolve();
  }

  online(tenantId: string): Promise<string[]> {
    this.#prune(this.#rooms.get(tenantId));
    return Promise.resolve([...this.#rooms.get(tenantId)?.users.keys() ?? []]);
  }

  /** Open sockets, all tenants (for the benchmark and shutdown). */
  get size(): number {
    let n = 0;
    for (const room of this.#rooms.values()) n += room.connections.size;
    return n;
  }

  /** Closes every socket (1001) and stops the sweep: the process is shutting down. */
  close(): Promise<void> {
    for (const room of [...this.#rooms.values()]) {
      for (const conn of [...room.connections]) this.#evict(conn, CLOSE_GOING_AWAY, false);
    }
    this.#stopSweep();
    return Promise.resolve();
  }

  #join(conn: Connection): void {
    let room = this.#rooms.get(conn.tenantId);
    if (!room) this.#rooms.set(conn.tenantId, room = { connections: new Set(), users: new Map() });
    room.connections.add(conn);
    conn.joined = true;
    const { userId } = conn.session;
    const sockets = room.users.get(userId) ?? 0;
    room.users.set(userId, sockets + 1);
    this.#send(conn, welcomeFrame(conn.session, this.#timeoutMs));
    if (sockets === 0) void this.publish(presenceMessage(conn.tenantId, userId, true, this.#now()));
    this.#sweep ??= setInterval(() => this.#sweepAll(), this.#sweepMs);
  }

  #receive(conn: Connection, data: unknown): void {
    if (!conn.joined) return;
    // A frame proves the socket alive, but not the token: that is checked on every frame.
    const now = this.#now();
    if (now >= conn.session.expiresAt) return this.#evict(conn, CLOSE_TOKEN_EXPIRED);
    const payload = typeof data === "string" || data instanceof ArrayBuffer ? data : new ArrayBuffer(0);
    this.#send(conn, applyFrame(conn.session, payload, now));
  }

  #send(conn: Connection, frame: string): void {
    if (conn.socket.readyState !== WebSocket.OPEN) return;
    try {
      conn.socket.send(frame);
    } catch {
      // Closing right now; the close event cleans up.
    }
  }

  /** Closes a socket and takes it out of the room at once, without waiting for the close handshake. */
  #evict(conn: Connection, reason: CloseReason, announce = true): void {
    try {
      conn.socket.close(reason.code, reason.reason);
    } catch {
      // already closed
    }
    this.#leave(conn, announce);
  }

  #leave(conn: Connection, announce = true): void {
    if (!conn.joined) return;
    conn.joined = false;
    const room = this.#rooms.get(conn.tenantId);
    if (!room) return;
    room.connections.delete(conn);
    const { userId } = conn.session;
    const sockets = (room.users.get(userId) ?? 1) - 1;
    if (sockets > 0) room.users.set(userId, sockets);
    else {
      room.users.delete(userId);
      if (announce) void this.publish(presenceMessage(conn.tenantId, userId, false, this.#now()));
    }
    if (room.connections.size === 0) this.#rooms.delete(conn.tenantId);
    if (this.#rooms.size === 0) this.#stopSweep();
  }

  #prune(room: Room | undefined): void {
    if (!room) return;
    const now = this.#now();
    for (const conn of [...room.connections]) {
      const reason = closeDue(conn.session, now, this.#timeoutMs);
      if (reason) this.#evict(conn, reason);
    }
  }

  #sweepAll(): void {
    for (const room of [...this.#rooms.values()]) this.#prune(room);
  }

  #stopSweep(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
