import { type GraphStandIn, startGraphStandIn } from "./graph-standin.ts";
import { freshPglite, TEST_ENV } from "./harness.ts";
import { type NeonHttpStandIn, startNeonHttpStandIn } from "./neon-http-standin.ts";
import { qstashDefaultBackoffMs, type QStashStandIn, startQStashStandIn } from "./qstash-standin.ts";
import { pgliteBackend } from "./sql-backend.ts";
import { startUpstashStandIn, type UpstashStandIn } from "./upstash-standin.ts";
import { startReceiver } from "./webhook-receiver.ts";
import { bundleWorker, type RunningWorker, startWorker } from "./worker-bundle.ts";

/**
 * The Worker as production runs it: the deployed bundle in workerd, `APP_ENV=production`, every
 * outside service at its production host name (Neon, Upstash, QStash, Meta's Graph API, a
 * customer's webhook endpoint), each answered by its loopback stand-in through miniflare's
 * outbound service. QStash calls the Worker back at its public https URL.
 */
export const PRODUCTION = {
  publicBaseUrl: "https://api.pytake-edge.test",
  neonHost: "ep-prod-42.sa-east-1.aws.neon.tech",
  upstashHost: "pytake-prod.upstash.io",
  hookHost: "hooks.provedor-cliente.com.br",
  qstash: {
    token: "qstash-prod-token",
    currentSigningKey: "sig_prod_current_7f3a",
    nextSigningKey: "sig_prod_next_91bc",
  },
  upstashToken: "upstash-prod-token",
  observabilityToken: "prod-scrape-token",
  /** The Meta number the Graph stand-in knows. */
  meta: {
    phoneNumberId: "109876543210001",
    wabaId: "200000000000001",
    display: "5511955559999",
    accessToken: "EAAGprodtoken0123456789",
    appSecret: "meta-app-secret-prod-0123",
  },
} as const;

export interface ProductionTopology {
  worker: RunningWorker;
  pg: Awaited<ReturnType<typeof freshPglite>>;
  neon: NeonHttpStandIn;
  upstash: UpstashStandIn;
  qstash: QStashStandIn;
  graph: GraphStandIn;
  receiver: ReturnType<typeof startReceiver>;
  close(): Promise<void>;
}

export async function startProductionTopology(
  bindings: Record<string, string> = {},
): Promise<ProductionTopology> {
  const bundle = await bundleWorker();
  const pg = await freshPglite();
  const neon = await startNeonHttpStandIn(pgliteBackend(pg.client));
  const upstash = await startUpstashStandIn({ token: PRODUCTION.upstashToken, redis: "memory" });
  const graph = await startGraphStandIn();
  graph.addNumber({
    phoneNumberId: PRODUCTION.meta.phoneNumberId,
    accessToken: PRODUCTION.meta.accessToken,
    displayPhoneNumber: "+55 11 95555-9999",
    verifiedName: "Fibra Borda",
    wabaId: PRODUCTION.meta.wabaId,
  });
  const receiver = startReceiver();
  const served: { url?: string } = {};
  const qstash = await startQStashStandIn({
    ...PRODUCTION.qstash,
    // The signature names the public URL; the bytes go to where miniflare listens.
    route: (destination) => destination.replace(PRODUCTION.publicBaseUrl, served.url!),
    // QStash's own backoff, and every published delay, a hundred times faster.
    retryDelayMs: qstashDefaultBackoffMs,
    delayScale: 0.01,
  });
  const upstreams: Record<string, string> = {
    [PRODUCTION.upstashHost]: upstash.url,
    "qstash.upstash.io": qstash.url,
    "graph.facebook.com": graph.url,
    [PRODUCTION.hookHost]: new URL(receiver.url).origin,
  };
  const outbound = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const upstream = url.hostname.endsWith(".neon.tech") ? new URL(neon.url).origin : upstreams[url.hostname];
    if (!upstream || url.protocol !== "https:") {
      return new Response(`no route to ${url.protocol}//${url.host} in this test`, { status: 502 });
    }
    return await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer(),
      redirect: "manual",
    });
  };
  const worker = await startWorker(bundle, {
    bindings: {
      APP_ENV: "production",
      LOG_LEVEL: "silent",
      PUBLIC_BASE_URL: PRODUCTION.publicBaseUrl,
      JWT_SECRET: TEST_ENV.JWT_SECRET!,
      ENCRYPTION_KEY: TEST_ENV.ENCRYPTION_KEY!,
      OBSERVABILITY_TOKEN: PRODUCTION.observabilityToken,
      DATABASE_URL: `postgres://app:secret@${PRODUCTION.neonHost}/neondb?sslmode=require`,
      UPSTASH_REDIS_REST_URL: `https://${PRODUCTION.upstashHost}`,
      UPSTASH_REDIS_REST_TOKEN: PRODUCTION.upstashToken,
      QSTASH_TOKEN: PRODUCTION.qstash.token,
      QSTASH_CURRENT_SIGNING_KEY: PRODUCTION.qstash.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: PRODUCTION.qstash.nextSigningKey,
      ...bindings,
    },
    outbound,
  });
  served.url = worker.url;
  return {
    worker,
    pg,
    neon,
    upstash,
    qstash,
    graph,
    receiver,
    async close() {
      await worker.close();
      await qstash.close();
      await receiver.close();
      await graph.close();
      await upstash.close();
      await neon.close();
      await pg.close();
    },
  };
}
