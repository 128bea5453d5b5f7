import { and, eq, isNull } from "drizzle-orm";
import { webhookEndpoints } from "../../db/schema/index.ts";
import { TtlCache } from "../core/ttl-cache.ts";
import type { Services } from "../services.ts";

export interface ActiveEndpoint {
  id: string;
  events: string[];
}

/**
 * The active endpoints of each tenant, asked on every event: cached for 30 s per app instance.
 * Changes made through this instance drop the entry at once; other isolates see them within the
 * TTL (a new endpoint may miss the events of its first seconds elsewhere).
 */
const caches = new WeakMap<object, TtlCache<ActiveEndpoint[]>>();

function cacheOf(s: Services): TtlCache<ActiveEndpoint[]> {
  let c = caches.get(s.database);
  if (!c) caches.set(s.database, c = new TtlCache(30_000));
  return c;
}

export async function activeEndpoints(s: Services, tenantId: string): Promise<ActiveEndpoint[]> {
  const cache = cacheOf(s);
  const hit = cache.get(tenantId);
  if (hit) return hit;
  const rows = await s.database.db.select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(
      eq(webhookEndpoints.tenantId, tenantId),
      eq(webhookEndpoints.isActive, true),
      isNull(webhookEndpoints.deletedAt),
    ));
  cache.set(tenantId, rows);
  return rows;
}

export function forgetEndpoints(s: Services, tenantId: string): void {
  cacheOf(s).delete(tenantId);
}
