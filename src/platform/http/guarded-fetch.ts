import type { Services } from "../../services.ts";
import { addressProblem, outboundUrlProblem } from "./outbound-url.ts";

export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutboundRefused";
  }
}

type Resolver = (host: string, type: "A" | "AAAA") => Promise<string[]>;

const denoResolver = (): Resolver | undefined => {
  const d = (globalThis as { Deno?: { resolveDns?: Resolver } }).Deno;
  return typeof d?.resolveDns === "function" ? d.resolveDns.bind(d) : undefined;
};

/**
 * Calls a URL a tenant gave us (a webhook endpoint, later an ERP): the URL guard, then, where
 * the runtime can resolve names, every address the name resolves to must be public too; no
 * redirects followed (a 3xx is the answer: a redirect could point inside the network); and a
 * timeout. Refusals throw `OutboundRefused`.
 */
export async function guardedFetch(
  s: Pick<Services, "config" | "fetch">,
  url: string,
  init: RequestInit & { timeoutMs?: number },
  resolve: Resolver | undefined = denoResolver(),
): Promise<Response> {
  const problem = outboundUrlProblem(url, s.config.allowPrivateTargets);
  if (problem) throw new OutboundRefused(problem);
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const isName = !/^[\d.]+$/.test(host) && !host.includes(":");
  if (!s.config.allowPrivateTargets && isName && resolve) {
    const answers = (await Promise.all(
      (["A", "AAAA"] as const).map((t) => resolve(host, t).catch(() => [] as string[])),
    )).flat();
    if (answers.length === 0) throw new OutboundRefused(`${host} does not resolve`);
    for (const address of answers) {
      const refused = addressProblem(address);
      if (refused) throw new OutboundRefused(`${host} resolves to ${address}: ${refused}`);
    }
  }
  const { timeoutMs, ...rest } = init;
  return await s.fetch(url, {
    ...rest,
    redirect: "manual",
    ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
  });
}

/** `guardedFetch` in the shape of `fetch`, for code written against `fetch` (providers). */
export const guardedFetcher = (s: Pick<Services, "config" | "fetch">): typeof fetch => (input, init) =>
  guardedFetch(s, input instanceof Request ? input.url : String(input), { ...init });
