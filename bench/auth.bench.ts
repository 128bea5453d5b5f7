import { hashPassword } from "../src/auth/password.ts";
import { type BenchReport, load, median, startServer } from "./lib.ts";

/**
 * Login latency, with the cost of one PBKDF2 hash (100,000 iterations, deliberate) measured in
 * the same run as its baseline; and the overhead of authentication (JWT verify, session and
 * denylist lookup, user and tenant state, rate limit) on an otherwise identical route.
 */
export async function authBench(opts: { seconds: number; rounds: number; connections: number }) {
  const server = await startServer("bench/servers/full-app.ts");
  try {
    // One PBKDF2 hash in this process: the floor under any password check.
    const pbkdf2: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await hashPassword("Bench-password-1");
      pbkdf2.push(performance.now() - t);
    }
    const [email, password] = server.info.LOGIN.split(" ");
    const loginBody = JSON.stringify({ email, password });
    const headers = { "content-type": "application/json" };
    const logins: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/v1/auth/login`, {
        method: "POST",
        headers,
        body: loginBody,
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`login answered ${res.status}`);
      logins.push(performance.now() - t);
    }
    const loginLoad = await load(`${server.url}/api/v1/auth/login`, {
      seconds: opts.seconds,
      connections: 4,
      method: "POST",
      body: loginBody,
      headers,
    });

    const auth = { authorization: `Bearer ${server.info.TOKEN}` };
    await load(`${server.url}/observability/live`, { seconds: 2, connections: opts.connections });
    await load(`${server.url}/bench/authenticated`, {
      seconds: 2,
      connections: opts.connections,
      headers: auth,
    });
    const open = [];
    const closed = [];
    for (let i = 0; i < opts.rounds; i++) {
      open.push(await load(`${server.url}/observability/live`, opts));
      closed.push(await load(`${server.url}/bench/authenticated`, { ...opts, headers: auth }));
    }
    for (const r of [...open, ...closed, loginLoad]) {
      if (r.errors || r.non2xx) throw new Error(`errors during the run: ${JSON.stringify(r)}`);
    }
    const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
    const oRps = median(open.map((r) => r.requestsPerSecond));
    const cRps = median(closed.map((r) => r.requestsPerSecond));
    const hash = median(pbkdf2);
    return {
      title: "Authentication: login latency and the cost of an authenticated request",
      method:
        `Login: 40 sequential sign-ins over loopback (p50/p99), then ${opts.seconds} s of autocannon with 4 connections; baseline: one PBKDF2-SHA256 hash at 100,000 iterations in the benchmark process. Authenticated request: the live probe's handler behind a user's access token (/bench/authenticated) against the public /observability/live on the same server, ${opts.connections} connections, ${opts.rounds} alternating rounds of ${opts.seconds} s; embedded KV (in-memory); the plan limit is raised so the limiter counts but never refuses.`,
      rows: [
        {
          metric: "login p50 (ms)",
          baseline: hash.toFixed(1),
          candidate: p(logins, 0.5).toFixed(1),
          ratio: (p(logins, 0.5) / hash).toFixed(2),
          target: "PBKDF2 is most of it",
        },
        {
          metric: "login p99 (ms)",
          baseline: hash.toFixed(1),
          candidate: p(logins, 0.99).toFixed(1),
          ratio: (p(logins, 0.99) / hash).toFixed(2),
        },
        {
          metric: "logins/s (4 connections)",
          baseline: (1000 / hash).toFixed(0),
          candidate: loginLoad.requestsPerSecond.toFixed(0),
          ratio: (loginLoad.requestsPerSecond / (1000 / hash)).toFixed(2),
        },
        {
          metric: "requests/s, authenticated vs public",
          baseline: oRps.toFixed(0),
          candidate: cRps.toFixed(0),
          ratio: (cRps / oRps).toFixed(2),
        },
        {
          metric: "p99 (ms), authenticated vs public",
          baseline: median(open.map((r) => r.p99)).toFixed(1),
          candidate: median(closed.map((r) => r.p99)).toFixed(1),
          ratio: (median(closed.map((r) => r.p99)) / Math.max(0.1, median(open.map((r) => r.p99)))).toFixed(
            2,
          ),
        },
      ],
      notes: [
        "An HMAC through WebCrypto costs about 20 µs in Deno, more than the rest of authentication: tokens whose signature already verified are kept with their claims (bounded, 10,000), their times still checked on every use, so a client reusing its token pays the signature once. Revocation does not depend on it: the session, the denylist and the user and tenant state are looked up on every request.",
        "PBKDF2 at 100,000 iterations is the Workers runtime's ceiling and a deliberate cost: it bounds how fast anyone can try passwords, and a login is one hash. One core handles roughly 1000/p50 sign-ins per second.",
      ],
    } satisfies BenchReport;
  } finally {
    await server.stop();
  }
}
