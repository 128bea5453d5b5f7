/**
 * A minimal RESP2 client over `Deno.connect`, for tests only (no JSR, so no `@std`/redis client).
 * Several commands may be in flight at once: replies arrive in request order, so each command
 * leaves a resolver in a FIFO queue and the reader settles them as complete replies are parsed
 * from a buffer that may hold partial replies split across reads.
 */

/** A Redis error reply (`-ERR ...`). Returned as a value, never thrown, so callers can relay it. */
export class RespError extends Error {
  override name = "RespError";
}

/**
 * A parsed reply. Simple strings are `string`; bulk strings are `string` (UTF-8 decoded) or, with
 * `bulk: "bytes"`, the raw `Uint8Array`; nil bulk strings and nil arrays are `null`.
 */
export type RespValue = string | number | null | Uint8Array | RespError | RespValue[];
export type RespArg = string | number | Uint8Array;

export interface RespClientOptions {
  hostname?: string;
  port?: number;
  /** Database index to SELECT right after connecting (tests use a spare one, e.g. 15). */
  db?: number;
  /** How bulk strings come back: decoded text (default) or raw bytes (binary-safe). */
  bulk?: "string" | "bytes";
}

export interface RespClient {
  /** Sends one command; resolves with its reply (a `RespError` for an error reply). */
  command(args: RespArg[]): Promise<RespValue>;
  /** Sends several commands in one write, so nothing else on this connection lands between them. */
  pipeline(commands: RespArg[][]): Promise<RespValue[]>;
  /** True once the connection is closed or broken; further commands reject. */
  readonly closed: boolean;
  /** Closes the socket, rejects replies still pending, and waits for the reader to stop. */
  close(): Promise<void>;
}

const CRLF = new Uint8Array([13, 10]);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** RESP request encoding: every command is an array of bulk strings. */
export function encodeCommand(args: RespArg[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = arg instanceof Uint8Array ? arg : enc.encode(String(arg));
    parts.push(enc.encode(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the CRLF ending the line that starts at `from`, or -1 when it has not arrived yet. */
function lineEnd(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

/**
 * Parses one reply starting at `at`. Returns the value and the offset just past it, or
 * `undefined` when the buffer ends before the reply does (wait for the next read).
 */
export function parseReply(
  buf: Uint8Array,
  at: number,
  bulk: "string" | "bytes" = "string",
): { value: RespValue; next: number } | undefined {
  const eol = lineEnd(buf, at + 1);
  if (eol < 0) return undefined;
  const line = dec.decode(buf.subarray(at + 1, eol));
  const next = eol + 2;
  switch (buf[at]) {
    case 43: // '+'
      return { value: line, next };
    case 45: // '-'
      return { value: new RespError(line), next };
    case 58: // ':'
      return { value: Number(line), next };
    case 36: { // '$'
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return undefined;
      const bytes = buf.slice(next, next + len);
      return { value: bulk === "bytes" ? bytes : dec.decode(bytes), next: next + len + 2 };
    }
    case 42: { // '*'
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let cursor = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, cursor, bulk);
        if (!item) return undefined;
        items.push(item.value);
        cursor = item.next;
      }
      return { value: items, next: cursor };
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte ${buf[at]}`);
  }
}

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
}

export async function connectResp(opts: RespClientOptions = {}): Promise<RespClient> {
  const conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port: opts.port ?? 6379 });
  const bulk = opts.bulk ?? "string";
  const pending: Pending[] = [];
  let closed = false;
  let closeError: Error = new Error("RESP connection closed");
  // Writes are chained so concurrent callers never interleave bytes of different commands.
  let writing: Promise<void> = Promise.resolve();

  const shutdown = (err: Error) => {
    if (!closed) {
      closed = true;
      closeError = err;
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    for (const p of pending.splice(0)) p.reject(closeError);
  };

  const reader = (async () => {
    let buf: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(chunk);
        if (n === null) break;
        buf = buf.length ? concat([buf, chunk.subarray(0, n)]) : chunk.slice(0, n);
        let at = 0;
        while (at < buf.length) {
          const reply = parseReply(buf, at, bulk);
          if (!reply) break;
          at = reply.next;
          const p = pending.shift();
          if (!p) throw new Error("RESP protocol error: reply without a pending command");
          p.resolve(reply.value);
        }
        buf = buf.slice(at);
      }
      shutdown(new Error("RESP connection closed by server"));
    } catch (err) {
      shutdown(closed ? closeError : err instanceof Error ? err : new Error(String(err)));
    }
  })();

  const send = (bytes: Uint8Array, count: number): Promise<RespValue>[] => {
    if (closed) return Array.from({ length: count }, () => Promise.reject(closeError));
    // Resolvers are queued synchronously, in the same order the bytes are written.
    const replies = Array.from(
      { length: count },
      () => new Promise<RespValue>((resolve, reject) => pending.push({ resolve, reject })),
    );
    writing = writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }).catch((err) => shutdown(closed ? closeError : err));
    return replies;
  };

  const client: RespClient = {
    command: (args) => send(encodeCommand(args), 1)[0],
    pipeline: (commands) => Promise.all(send(concat(commands.map(encodeCommand)), commands.length)),
    get closed() {
      return closed;
    },
    async close() {
      shutdown(new Error("RESP connection closed"));
      await reader;
      await writing;
    },
  };

  if (opts.db !== undefined) {
    const ok = await client.command(["SELECT", opts.db]);
    if (ok instanceof RespError) {
      await client.close();
      throw ok;
    }
  }
  return client;
}
