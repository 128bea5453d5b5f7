/**
 * Debian's Chromium, headless, driven over the Chrome DevTools Protocol with nothing but a
 * WebSocket: enough to load a page with the network closed and read what it shows. Every request
 * that is not to `allowOrigin` is failed (and recorded), and host resolution is switched off for
 * everything but loopback, so a page that needs the internet shows that it does.
 */

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export interface BrowserPage {
  /** Runs `expression` in the page and answers its value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Requests that were refused because they left the allowed origin. */
  blocked: string[];
  /** Uncaught exceptions and console errors of the page. */
  errors: string[];
  close(): Promise<void>;
}

export async function openPage(url: string, opts: { allowOrigin: string }): Promise<BrowserPage> {
  const profile = await Deno.makeTempDir({ prefix: "pytake-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "--window-size=1440,1000",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const cleanup = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };

  try {
    const endpoint = await devToolsEndpoint(child.stderr);
    const ws = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot reach ${endpoint}`));
    });
    let seq = 0;
    const pending = new Map<number, { resolve(v: CdpMessage): void; reject(e: Error): void }>();
    const listeners: ((m: CdpMessage) => void)[] = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data) as CdpMessage;
      if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m);
      } else for (const l of listeners) l(m);
    };
    const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
      new Promise<CdpMessage>((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      });

    const { result: target } = await send("Target.createTarget", { url: "about:blank" });
    const { result: attached } = await send("Target.attachToTarget", {
      targetId: target!.targetId,
      flatten: true,
    });
    const session = attached!.sessionId as string;
    const blocked: string[] = [];
    const errors: string[] = [];
    listeners.push((m) => {
      if (m.sessionId !== session) return;
      if (m.method === "Fetch.requestPaused") {
        const { requestId, request } = m.params as { requestId: string; request: { url: string } };
        const local = request.url.startsWith("data:") || new URL(request.url).origin === opts.allowOrigin;
        if (!local) blocked.push(request.url);
        void send(
          local ? "Fetch.continueRequest" : "Fetch.failRequest",
          local ? { requestId } : { requestId, errorReason: "InternetDisconnected" },
          session,
        ).catch(() => {});
      } else if (m.method === "Runtime.exceptionThrown") {
        const d = m.params?.exceptionDetails as { text?: string; exception?: { description?: string } };
        errors.push(d?.exception?.description ?? d?.text ?? "exception");
      } else if (m.method === "Runtime.consoleAPICalled" && m.params?.type === "error") {
        const args = m.params.args as { value?: unknown; description?: string }[];
        errors.push(args.map((a) => String(a.value ?? a.description ?? "")).join(" "));
      }
    });
    await send("Fetch.enable", { patterns: [{ urlPattern: "*" }] }, session);
    await send("Runtime.enable", {}, session);
    await send("Page.enable", {}, session);
    await send("Page.navigate", { url }, session);

    return {
      blocked,
      errors,
      async evaluate<T>(expression: string): Promise<T> {
        const { result } = await send("Runtime.evaluate", { expression, returnByValue: true }, session);
        return (result!.result as { value: T }).value;
      },
      async close() {
        await send("Browser.close").catch(() => {});
        ws.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Chromium prints its DevTools WebSocket on stderr once it listens. */
async function devToolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = setTimeout(() => reader.cancel(), 30_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Chromium did not start:\n${seen.slice(-2000)}`);
      seen += value;
      const m = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) {
        // Keep draining stderr, or Chromium blocks once the pipe fills.
        void (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return m[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}
