/**
 * A local stand-in for the Upstash Redis REST API, backed by a real Redis over RESP, so tests
 * exercise `@upstash/redis` and `@upstash/ratelimit` on the real wire format:
 *
 * - `POST /` with a JSON command array answers `{ result }`, or `{ error }` with HTTP 400;
 * - `POST /pipeline` answers an array of `{ result }` / `{ error }` (HTTP 200 even with errors);
 * - `POST /multi-exec` does the same inside MULTI/EXEC;
 * - `GET|POST /cmd/arg/...` path style (a POST body is appended as the last argument);
 * - `Upstash-Encoding: base64` (the client's default) base64-encodes every string in a result,
 *   nested ones included, except the status reply `OK`; integers stay numbers, nil stays null,
 *   error messages are never encoded;
 * - `Authorization: Bearer <token>` (or `?_token=`), else 401 `{ error }`.
 */
import { memoryRedis } from "./memory-redis.ts";
import { connectResp, type RespClient, RespError, type RespValue } from "./resp-client.ts";

export interface UpstashStandInOptions {
  token: string;
  /** A real Redis (default 127.0.0.1:6379), or "memory": an in-process one (tests/support/memory-redis.ts). */
  redis?: { hostname?: string; port?: number; db?: number } | "memory";
  /** Fixed port, e.g. to restart on the same URL after `close()`; default is an ephemeral one. */
  port?: number;
}

export interface UpstashStandIn {
  url: string;
  port: number;
  /** Every request received (including unauthorised ones), in arrival order. */
  requests: { path: string; body: unknown }[];
  /** Stops the HTTP server and closes its Redis connection; idempotent. */
  close(): Promise<void>;
}

type Entry = { result: unknown } | { error: string };

/** An Upstash-style failure: message for `{ error }` and the HTTP status to answer with. */
class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// These would change the state of the shared connection (db, transaction, subscriber mode).
const CONNECTION_STATE_COMMANDS = new Set([
  "select",
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "monitor",
  "quit",
  "reset",
  "hello",
  "auth",
  "client",
]);

// Shebang flags Redis 7 knows. `@upstash/ratelimit` scripts start with
// `#!lua flags=allow-key-locking`, which Upstash accepts and Redis 7 rejects
// ("ERR Unexpected flag in script shebang"), so unknown flags are dropped before forwarding.
const REDIS_SCRIPT_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

export function redisCompatibleScript(script: string): string {
  const eol = script.indexOf("\n");
  const first = eol < 0 ? script : script.slice(0, eol);
  if (!first.startsWith("#!lua")) return script;
  const words = first.slice("#!lua".length).trim().split(/\s+/).filter(Boolean).map((w) => {
    if (!w.startsWith("flags=")) return w;
    const kept = w.slice("flags=".length).split(",").filter((f) => REDIS_SCRIPT_FLAGS.has(f));
    return kept.length ? `flags=${kept.join(",")}` : "";
  }).filter(Boolean);
  const shebang = ["#!lua", ...words].join(" ");
  return shebang === first ? script : shebang + (eol < 0 ? "" : script.slice(eol));
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/**
 * RESP reply → JSON result. Bulk strings arrive as bytes so base64 is taken of the exact stored
 * bytes; simple strings arrive as text. The client decodes every string except a bare "OK", so
 * that status reply is left as is (other simple strings such as PONG are encoded).
 */
function toJson(value: RespValue, b64: boolean): unknown {
  if (value === null || typeof value === "number") return value;
  if (value instanceof RespError) return toJson(value.message, b64);
  if (Array.isArray(value)) return value.map((v) => toJson(v, b64));
  if (typeof value === "string") {
    return b64 && value !== "OK" ? base64(new TextEncoder().encode(value)) : value;
  }
  return b64 ? base64(value) : new TextDecoder().decode(value);
}

function toEntry(value: RespValue, b64: boolean): Entry {
  return value instanceof RespError ? { error: value.message } : { result: toJson(value, b64) };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Validates one JSON command: a non-empty array of strings, numbers or booleans. */
function asCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new HttpFailure(400, "ERR command must be a non-empty JSON array");
  }
  return raw.map((arg) => {
    if (typeof arg === "string" || typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new HttpFailure(400, `ERR invalid command argument: ${JSON.stringify(arg)}`);
  });
}

function asCommandList(raw: unknown): string[][] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new HttpFailure(400, "ERR pipeline body must be a non-empty JSON array of commands");
  }
  return raw.map(asCommand);
}

export async function startUpstashStandIn(opts: UpstashStandInOptions): Promise<UpstashStandIn> {
  const memory = opts.redis === "memory";
  const redisOpts = {
    hostname: "127.0.0.1",
    port: 6379,
    ...(opts.redis === "memory" ? {} : opts.redis),
    bulk: "bytes" as const,
  };
  const requests: { path: string; body: unknown }[] = [];
  // Original script sha → sha of the rewritten script actually loaded in Redis, so EVALSHA with
  // the hash the client computed from its own script text still finds it.
  const shaMap = new Map<string, string>();
  let syncToken = 0;

  // One shared connection, reopened lazily if Redis dropped it.
  let redis: RespClient = memory ? memoryRedis() : await connectResp(redisOpts);
  let reconnecting: Promise<RespClient> | undefined;
  const getRedis = (): Promise<RespClient> => {
    if (!redis.closed || memory) return Promise.resolve(redis);
    reconnecting ??= connectResp(redisOpts).then((c) => (redis = c)).finally(
      () => (reconnecting = undefined),
    );
    return reconnecting;
  };

  /** Rewrites the command where Redis and Upstash differ; pure apart from recording script shas. */
  const prepare = async (cmd: string[]): Promise<string[]> => {
    const name = cmd[0].toLowerCase();
    if (CONNECTION_STATE_COMMANDS.has(name)) {
      throw new RespError(`ERR Command is not available: '${name}'`);
    }
    if ((name === "eval" || name === "eval_ro") && cmd.length > 1) {
      const script = redisCompatibleScript(cmd[1]);
      if (script !== cmd[1]) shaMap.set(await sha1Hex(cmd[1]), await sha1Hex(script));
      return [cmd[0], script, ...cmd.slice(2)];
    }
    if ((name === "evalsha" || name === "evalsha_ro") && cmd.length > 1) {
      return [cmd[0], shaMap.get(cmd[1].toLowerCase()) ?? cmd[1], ...cmd.slice(2)];
    }
    if (name === "script" && cmd[1]?.toLowerCase() === "exists") {
      return [...cmd.slice(0, 2), ...cmd.slice(2).map((sha) => shaMap.get(sha.toLowerCase()) ?? sha)];
    }
    return cmd;
  };

  /** SCRIPT LOAD must answer the hash of the script the client sent, not of our rewrite. */
  const scriptLoad = async (cmd: string[], b64: boolean): Promise<Entry> => {
    const script = redisCompatibleScript(cmd[2] ?? "");
    const reply = await (await getRedis()).command(["SCRIPT", "LOAD", script]);
    if (reply instanceof RespError) return { error: reply.message };
    const original = await sha1Hex(cmd[2] ?? "");
    if (script !== cmd[2]) shaMap.set(original, await sha1Hex(script));
    return toEntry(original, b64);
  };

  const isScriptLoad = (cmd: string[]) =>
    cmd[0].toLowerCase() === "script" && cmd[1]?.toLowerCase() === "load" && cmd.length === 3;

  /** One command; a rejected command becomes an `{ error }` entry like a Redis error would. */
  const runOne = async (cmd: string[], b64: boolean): Promise<Entry> => {
    try {
      if (isScriptLoad(cmd)) return await scriptLoad(cmd, b64);
      return toEntry(await (await getRedis()).command(await prepare(cmd)), b64);
    } catch (err) {
      if (err instanceof RespError) return { error: err.message };
      throw err;
    }
  };

  const runPipeline = async (cmds: string[][], b64: boolean): Promise<Entry[]> => {
    // Not atomic, like Upstash: each command is sent as soon as it is prepared, in order.
    const entries: Entry[] = [];
    for (const cmd of cmds) entries.push(await runOne(cmd, b64));
    return entries;
  };

  const runMultiExec = async (cmds: string[][], b64: boolean): Promise<Entry[]> => {
    let prepared: string[][];
    try {
      if (cmds.some(isScriptLoad)) throw new RespError("ERR SCRIPT LOAD is not supported in multi-exec here");
      prepared = await Promise.all(cmds.map(prepare));
    } catch (err) {
      if (err instanceof RespError) throw new HttpFailure(400, err.message);
      throw err;
    }
    // MULTI, the commands and EXEC go out in one write on the shared connection. Redis runs a
    // connection's commands in order, so no other request's command can land inside the block.
    const replies = await (await getRedis()).pipeline([["MULTI"], ...prepared, ["EXEC"]]);
    const exec = replies[replies.length - 1];
    if (exec instanceof RespError) {
      // EXECABORT: a command was rejected while queueing (bad arity, unknown command).
      const cause = replies.slice(1, -1).find((r) => r instanceof RespError) as RespError | undefined;
      throw new HttpFailure(400, cause ? `${exec.message} (${cause.message})` : exec.message);
    }
    if (!Array.isArray(exec)) throw new HttpFailure(400, "ERR transaction was not executed");
    return exec.map((v) => toEntry(v, b64));
  };

  /** Path style: `/set/foo/bar?EX=100`, with a POST body appended as the value. */
  const pathCommand = (url: URL, method: string, text: string): string[] => {
    const cmd = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (method !== "GET" && text !== "") cmd.push(text);
    for (const [k, v] of url.searchParams) {
      if (k === "_token") continue;
      cmd.push(k);
      if (v !== "") cmd.push(v);
    }
    return cmd;
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch { /* path-style bodies may be raw values */ }
    requests.push({ path: url.pathname, body });

    const auth = req.headers.get("authorization") ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : url.searchParams.get("_token");
    if (token !== opts.token) return json(401, { error: "Unauthorized" });

    const b64 = req.headers.get("upstash-encoding")?.toLowerCase() === "base64";
    const headers = { "upstash-sync-token": String(++syncToken) };
    try {
      if (url.pathname === "/pipeline" || url.pathname === "/multi-exec") {
        if (req.method !== "POST") return json(405, { error: "Method not allowed" });
        const cmds = asCommandList(body);
        const entries = url.pathname === "/pipeline"
          ? await runPipeline(cmds, b64)
          : await runMultiExec(cmds, b64);
        return json(200, entries, headers);
      }
      const cmd = url.pathname === "/" ? asCommand(body) : pathCommand(url, req.method, text);
      if (cmd.length === 0) throw new HttpFailure(400, "ERR empty command");
      const entry = await runOne(cmd, b64);
      return json("error" in entry ? 400 : 200, entry, headers);
    } catch (err) {
      if (err instanceof HttpFailure) return json(err.status, { error: err.message }, headers);
      return json(500, { error: `ERR stand-in failure: ${err instanceof Error ? err.message : err}` });
    }
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: opts.port ?? 0, onListen() {} }, handle);
  const port = server.addr.port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close() {
      closing ??= (async () => {
        await server.shutdown();
        await reconnecting?.catch(() => {});
        await redis.close();
      })();
      return closing;
    },
  };
}
