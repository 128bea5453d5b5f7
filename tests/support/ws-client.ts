/** A WebSocket client for tests: frames queue up and are read in order, with no timing involved. */

export type Frame = Record<string, unknown> & { type: string };

export interface Closed {
  code: number;
  reason: string;
}

export class WsClient {
  readonly socket: WebSocket;
  readonly closed: Promise<Closed>;
  #frames: Frame[] = [];
  #waiting: ((f: Frame | null) => void)[] = [];
  #isClosed = false;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => {
        this.#isClosed = true;
        for (const w of this.#waiting.splice(0)) w(null);
        resolve({ code: e.code, reason: e.reason });
      });
    });
    socket.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      const w = this.#waiting.shift();
      if (w) w(frame);
      else this.#frames.push(frame);
    });
  }

  /**
   * Opens a socket and reads its `welcome` frame: once it arrived the server has the socket in
   * its room. Rejects when the handshake is refused.
   */
  static async open(url: string, opts?: string | string[] | WebSocketOptions): Promise<WsClient> {
    const socket = new WebSocket(url, opts);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "error",
        (e) => reject(new Error(`handshake failed: ${(e as ErrorEvent).message}`)),
        {
          once: true,
        },
      );
    });
    const welcome = await client.next();
    if (welcome.type !== "welcome") throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    client.welcome = welcome;
    return client;
  }

  welcome: Frame = { type: "none" };

  get protocol(): string {
    return this.socket.protocol;
  }

  send(frame: unknown): void {
    this.socket.send(
      typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame),
    );
  }

  /** The next frame; fails when the socket closes first. */
  next(): Promise<Frame> {
    const f = this.#frames.shift();
    if (f) return Promise.resolve(f);
    if (this.#isClosed) return Promise.reject(new Error("socket closed"));
    return new Promise((resolve, reject) =>
      this.#waiting.push((frame) => frame ? resolve(frame) : reject(new Error("socket closed")))
    );
  }

  /** Sends `frame` and returns the next frame (the answer: frames are answered in order). */
  async ask(frame: unknown): Promise<Frame> {
    this.send(frame);
    return await this.next();
  }

  /**
   * Everything the server sent before it answered a ping sent now. The server writes frames in
   * order, so an event published before this call is in the list, and one not in it was never sent.
   */
  async drain(): Promise<Frame[]> {
    this.send({ type: "ping" });
    const out: Frame[] = [];
    for (let f = await this.next(); f.type !== "pong"; f = await this.next()) out.push(f);
    return out;
  }

  /** Events received before a ping round trip. */
  async events(): Promise<Frame[]> {
    return (await this.drain()).filter((f) => f.type === "event");
  }

  async close(): Promise<Closed> {
    if (!this.#isClosed) this.socket.close(1000, "bye");
    return await this.closed;
  }
}

/**
 * The first bytes of the server's answer to a raw HTTP/1.1 upgrade request (for checking that a
 * refused handshake never becomes a socket).
 */
export async function rawHandshake(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ statusLine: string; head: string; body: string }> {
  const url = new URL(baseUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${url.host}`,
      "Connection: Upgrade",
      "Upgrade: websocket",
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      "",
      "",
    ];
    await conn.write(new TextEncoder().encode(lines.join("\r\n")));
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const head = text.slice(0, end);
      const length = Number(head.match(/content-length:\s*(\d+)/i)?.[1] ?? 0);
      if (/^HTTP\/1\.1 101/.test(head) || text.length - end - 4 >= length) {
        return { statusLine: head.split("\r\n")[0], head, body: text.slice(end + 4, end + 4 + length) };
      }
    }
    throw new Error(`connection closed before a full answer: ${text}`);
  } finally {
    conn.close();
  }
}
