import { and, eq, inArray, isNull } from "drizzle-orm";
import { whatsappConfigs } from "../../../db/schema/index.ts";
import { hmacSha256Hex, sha256Hex, timingSafeEqualText } from "../../core/crypto.ts";
import type { Services } from "../../services.ts";
import type { ConfigRow, Credentials } from "../providers/provider.ts";
import { numbersByRoute } from "../number-cache.ts";
import { metaRoutes } from "./meta-payload.ts";

/** Meta's GET handshake: the verify token of some number, or META_VERIFY_TOKEN. */
export async function verifyTokenKnown(s: Services, token: string): Promise<boolean> {
  const fallback = s.config.whatsapp.metaVerifyToken;
  if (fallback && await timingSafeEqualText(token, fallback)) return true;
  const [row] = await s.database.db.select({ id: whatsappConfigs.id }).from(whatsappConfigs)
    .where(
      and(eq(whatsappConfigs.verifyTokenHash, await sha256Hex(token)), isNull(whatsappConfigs.deletedAt)),
    )
    .limit(1);
  return row !== undefined;
}

export type Authenticated =
  | { ok: true; tenantId: string | null; configId: string | null }
  | { ok: false; reason: string };

/**
 * `X-Hub-Signature-256` over the exact bytes, keyed with the app secret of a number named in the
 * payload (or META_APP_SECRET). The payload is only parsed to learn which numbers it names.
 */
export async function authenticateMeta(
  s: Services,
  rawBody: string,
  signatureHeader: string | undefined,
): Promise<Authenticated> {
  const given = signatureHeader?.match(/^sha256=([0-9a-fA-F]{64})$/)?.[1]?.toLowerCase();
  if (!given) return { ok: false, reason: "missing or malformed X-Hub-Signature-256" };
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  const routes = metaRoutes(payload);
  const key = `meta:${[...routes].sort().join(",")}`;
  let numbers = numbersByRoute.get(key);
  if (!numbers) {
    const configs = routes.length === 0 ? [] : await s.database.db.select().from(whatsappConfigs)
      .where(and(inArray(whatsappConfigs.phoneNumberId, routes), isNull(whatsappConfigs.deletedAt)));
    numbers = await Promise.all(configs.map(async (config) => ({
      config,
      appSecret: (await s.secrets.open<Credentials>(config.credentials)).app_secret,
    })));
    numbersByRoute.set(key, numbers);
  }
  const configs = numbers.map((n) => n.config);
  const candidates: { secret: string; config?: ConfigRow }[] = numbers
    .filter((n) => n.appSecret)
    .map((n) => ({ secret: n.appSecret!, config: n.config }));
  if (s.config.whatsapp.metaAppSecret) candidates.push({ secret: s.config.whatsapp.metaAppSecret });
  for (const c of candidates) {
    if (await timingSafeEqualText(await hmacSha256Hex(c.secret, rawBody), given)) {
      // One number named: the event belongs to its tenant; several: each entry is routed later.
      const only = configs.length === 1 && routes.length === 1 ? configs[0] : undefined;
      return { ok: true, tenantId: only?.tenantId ?? null, configId: only?.id ?? null };
    }
  }
  return { ok: false, reason: "the signature matches no app secret" };
}

/** Evolution: the instance's API key, sent back in the `apikey` header we set (or the body). */
export async function authenticateEvolution(
  s: Services,
  payload: { instance?: unknown; apikey?: unknown },
  headers: { apikey?: string; authorization?: string },
): Promise<Authenticated> {
  const instance = typeof payload.instance === "string" ? payload.instance : "";
  const presented = headers.apikey ?? headers.authorization?.replace(/^Bearer\s+/i, "") ??
    (typeof payload.apikey === "string" ? payload.apikey : undefined);
  if (!instance || !presented) return { ok: false, reason: "missing instance or API key" };
  const key = `evolution:${instance}`;
  let numbers = numbersByRoute.get(key);
  if (!numbers) {
    const configs = await s.database.db.select().from(whatsappConfigs).where(and(
      eq(whatsappConfigs.instanceName, instance),
      eq(whatsappConfigs.apiType, "evolution"),
      isNull(whatsappConfigs.deletedAt),
    ));
    numbers = await Promise.all(configs.map(async (config) => ({
      config,
      apiKey: (await s.secrets.open<Credentials>(config.credentials)).api_key,
    })));
    numbersByRoute.set(key, numbers);
  }
  for (const n of numbers) {
    if (n.apiKey && await timingSafeEqualText(presented, n.apiKey)) {
      return { ok: true, tenantId: n.config.tenantId, configId: n.config.id };
    }
  }
  return { ok: false, reason: "the API key matches no instance of that name" };
}
