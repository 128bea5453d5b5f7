import { TtlCache } from "../core/ttl-cache.ts";
import type { ConfigRow } from "./providers/provider.ts";

/**
 * Numbers as the webhook path needs them on every call: looked up by routing key with their
 * secrets decrypted. Kept 30 seconds per process; a change made through this process drops them
 * at once (`forgetNumbers`), other processes see it within the TTL.
 */
export interface WebhookNumber {
  config: ConfigRow;
  appSecret?: string;
  apiKey?: string;
}

export const numbersByRoute = new TtlCache<WebhookNumber[]>(30_000);
export const numbersById = new TtlCache<ConfigRow>(30_000);
/**
 * A tenant's live numbers, default first: which number a send goes through, and its per-second
 * limit, known before the send's one batch (which reads the row again and sends only through a
 * number still live and active: a stale entry can pick a number, never bypass a deactivation).
 */
export const numbersByTenant = new TtlCache<ConfigRow[]>(30_000);

export function forgetNumbers(): void {
  numbersByRoute.clear();
  numbersById.clear();
  numbersByTenant.clear();
}
