/**
 * What the four ERP stand-ins share: a loopback server that records every request exactly as it
 * arrived (method, path, query, headers, raw body) and faults a test can inject before the
 * stand-in's own logic answers: hang (never answer), an HTML error page (a reverse proxy in front
 * of an on-premise ERP), a bare HTTP status. Faults apply to the next N requests, or to every
 * request until cleared, or in a repeating pattern (a flapping ERP).
 */

export interface ErpRecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** The body exactly as sent. */
  raw: string;
  /** Parsed when the body was JSON. */
  json?: unknown;
  /** Parsed when the body was a form. */
  form?: URLSearchParams;
}

export type ErpFault =
  | { kind: "hang" }
  | { kind: "html"; status?: number }
  | { kind: "status"; status: number; body?: string; contentType?: string };

export interface ErpStandInBase {
  url: string;
  requests: ErpRecordedRequest[];
  /** The next `times` requests get this fault. */
  failNext(fault: ErpFault, times?: number): void;
  /** Every request gets this fault until `clearFaults()`. */
  failAlways(fault: ErpFault): void;
  /** Requests alternate through the pattern (null = answer normally), over and over. */
  flap(pattern: (ErpFault | null)[]): void;
  clearFaults(): void;
  /** Requests to paths matching this, only (the calls an operation made). */
  calls(pathPart: string | RegExp): ErpRecordedRequest[];
  close(): Promise<void>;
}

export const json = (status: number, body: unknown, contentType = "application/json; charset=utf-8") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": contentType } });

const HTML_PAGE = (status: number) =>
  `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>`;

export async function startErpStandIn(
  handle: (req: ErpRecordedRequest) => Response | Promise<Response>,
): Promise<ErpStandInBase> {
  const requests: ErpRecordedRequest[] = [];
  const queued: { fault: ErpFault; remaining: number }[] = [];
  let always: ErpFault | null = null;
  let pattern: (ErpFault | null)[] = [];
  let patternAt = 0;
  const hanging: (() => void)[] = [];

  const nextFault = (): ErpFault | null => {
    if (always) return always;
    if (pattern.length) return pattern[patternAt++ % pattern.length];
    const q = queued[0];
    if (!q) return null;
    if (--q.remaining <= 0) queued.shift();
    return q.fault;
  };

  const serve = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const raw = await req.text();
    const contentType = req.headers.get("content-type") ?? "";
    const rec: ErpRecordedRequest = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      headers: Object.fromEntries([...req.headers].map(([k, v]) => [k.toLowerCase(), v])),
      raw,
    };
    if (contentType.includes("json") && raw) {
      try {
        rec.json = JSON.parse(raw);
      } catch {
        // kept raw: the handler decides what a broken body means
      }
    }
    if (contentType.includes("x-www-form-urlencoded")) rec.form = new URLSearchParams(raw);
    requests.push(rec);
    const fault = nextFault();
    if (fault?.kind === "hang") {
      // Never answers (until the stand-in closes): the client's timeout must end it.
      await new Promise<void>((resolve) => hanging.push(resolve));
      return new Response("closing", { status: 503 });
    }
    if (fault?.kind === "html") {
      const status = fault.status ?? 200;
      return new Response(HTML_PAGE(status === 200 ? 502 : status), {
        status,
        headers: { "content-type": "text/html" },
      });
    }
    if (fault?.kind === "status") {
      return new Response(fault.body ?? "", {
        status: fault.status,
        headers: { "content-type": fault.contentType ?? "text/plain" },
      });
    }
    return await handle(rec);
  };

  return await new Promise((resolve) => {
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          resolve({
            url: `http://127.0.0.1:${port}`,
            requests,
            failNext(fault, times = 1) {
              queued.push({ fault, remaining: times });
            },
            failAlways(fault) {
              always = fault;
            },
            flap(p) {
              pattern = p;
              patternAt = 0;
            },
            clearFaults() {
              queued.length = 0;
              always = null;
              pattern = [];
            },
            calls(part) {
              return requests.filter((
                r,
              ) => (typeof part === "string" ? r.path.includes(part) : part.test(r.path)));
            },
            async close() {
              for (const release of hanging.splice(0)) release();
              await server.shutdown();
            },
          }),
      },
      serve,
    );
  });
}
