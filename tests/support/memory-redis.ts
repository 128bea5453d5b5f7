/**
 * An in-process Redis behind the `RespClient` interface, so the Upstash REST stand-in runs in
 * `deno task test` with nothing but Deno (the integration suite puts a real Redis behind it).
 * Commands go to ioredis-mock, whose Lua scripting (fengari) runs @upstash/ratelimit's scripts:
 * the commands our adapters send, with the replies and error texts Redis gives.
 */
import RedisMock from "ioredis-mock";
import { type RespArg, type RespClient, RespError, type RespValue } from "./resp-client.ts";

type Mock = Record<string, (...args: unknown[]) => Promise<unknown>> & { disconnect(): void };

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const text = (a: RespArg) =>
  typeof a === "string" ? a : typeof a === "number" ? String(a) : new TextDecoder().decode(a);

/** fengari reads a chunk, not a file: a `#!lua …` first line would be a syntax error. */
const withoutShebang = (script: string) => script.startsWith("#!") ? script.replace(/^#![^\n]*/, "") : script;

function toResp(value: unknown): RespValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(toResp);
  if (value instanceof Uint8Array) return value;
  return String(value);
}

export function memoryRedis(): RespClient {
  // Every instance shares one keyspace per host/port in ioredis-mock: a random port keeps
  // stand-ins apart.
  const mock = new RedisMock({ port: 10_000 + Math.floor(Math.random() * 50_000) }) as unknown as Mock;
  const scripts = new Map<string, string>();
  let closed = false;

  // One command or block at a time, like Redis's single thread: a MULTI block cannot interleave.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  };

  const run = async (cmd: string[]): Promise<RespValue> => {
    const name = cmd[0].toLowerCase();
    try {
      if (name === "eval" || name === "eval_ro") {
        scripts.set(await sha1Hex(cmd[1]), cmd[1]);
        return toResp(await mock.eval(withoutShebang(cmd[1]), ...cmd.slice(2)));
      }
      if (name === "evalsha" || name === "evalsha_ro") {
        const script = scripts.get(cmd[1].toLowerCase());
        if (!script) return new RespError("NOSCRIPT No matching script. Please use EVAL.");
        return toResp(await mock.eval(withoutShebang(script), ...cmd.slice(2)));
      }
      if (name === "script" && cmd[1]?.toLowerCase() === "load") {
        const sha = await sha1Hex(cmd[2]);
        scripts.set(sha, cmd[2]);
        return sha;
      }
      if (name === "script" && cmd[1]?.toLowerCase() === "exists") {
        return cmd.slice(2).map((sha) => scripts.has(sha.toLowerCase()) ? 1 : 0);
      }
      if (name === "set" && cmd.length > 3) {
        // ioredis-mock knows the options in capitals only ("EX", "NX"); clients send either.
        cmd = [...cmd.slice(0, 3), ...cmd.slice(3).map((a) => a.toUpperCase())];
      }
      if ((name === "expire" || name === "pexpire") && cmd.length > 3) {
        // EXPIRE's NX/XX (Redis 7) are not modelled by ioredis-mock: decided here.
        const ttl = await mock.pttl(cmd[1]) as number;
        const option = cmd[3].toUpperCase();
        if (ttl === -2 || (option === "NX" && ttl !== -1) || (option === "XX" && ttl === -1)) return 0;
        cmd = cmd.slice(0, 3);
      }
      const fn = mock[name];
      if (typeof fn !== "function") return new RespError(`ERR unknown command '${cmd[0]}'`);
      return toResp(await fn.apply(mock, cmd.slice(1)));
    } catch (err) {
      return new RespError(err instanceof Error ? err.message : String(err));
    }
  };

  return {
    command(args) {
      if (closed) return Promise.reject(new Error("memory Redis closed"));
      return exclusive(() => run(args.map(text)));
    },
    pipeline(commands) {
      if (closed) return Promise.reject(new Error("memory Redis closed"));
      const cmds = commands.map((c) => c.map(text));
      return exclusive(async () => {
        // The stand-in's MULTI … EXEC block: the commands in order, nothing else between them.
        const block = cmds.length >= 2 && cmds[0][0].toUpperCase() === "MULTI" &&
          cmds.at(-1)![0].toUpperCase() === "EXEC";
        const inner = block ? cmds.slice(1, -1) : cmds;
        const out: RespValue[] = [];
        for (const c of inner) out.push(await run(c));
        return block ? ["OK", ...inner.map(() => "QUEUED"), out] : out;
      });
    },
    get closed() {
      return closed;
    },
    close() {
      if (!closed) {
        closed = true;
        mock.disconnect();
      }
      return Promise.resolve();
    },
  };
}
