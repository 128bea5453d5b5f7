import { and, eq, isNull } from "drizzle-orm";
import { whatsappConfigs } from "../../../db/schema/index.ts";
import type { Services } from "../../services.ts";
import type { BatchItem } from "drizzle-orm/batch";
import type { EventInput } from "../../events/events.ts";
import { atomicList, type Db } from "../../platform/db/database.ts";
import { statusWrite } from "../message-status.ts";
import { forgetNumbers, numbersById } from "../number-cache.ts";
import type { ConfigRow } from "../providers/provider.ts";
import { readMessages, type WritePlan } from "./apply-messages.ts";
import type { NormalizedEvent } from "./normalized.ts";

export interface RoutedEvent {
  event: NormalizedEvent;
  config: ConfigRow;
}

/** Pairs each event with its number; events for numbers that do not exist are logged and left. */
export async function routeEvents(
  s: Services,
  events: NormalizedEvent[],
  configFor: (route: string) => Promise<ConfigRow | undefined>,
): Promise<RoutedEvent[]> {
  const out: RoutedEvent[] = [];
  for (const event of events) {
    const config = await configFor(event.route);
    if (config) out.push({ event, config });
    else {s.obs.log.warn("webhook event for an unknown number", {
        service: "whatsapp",
        route: event.route,
        kind: event.kind,
      });}
  }
  return out;
}

/**
 * Applies routed events in two round trips whatever they hold (ROUND_TRIP_BUDGET.inboundProcessed):
 * the messages' contacts and conversations read in one batch, then one batch writes everything:
 * the messages (src/whatsapp/inbound/apply-messages.ts), each status after them (statuses refer
 * to messages we sent, never to ones in the same call), the numbers' connection and quality, and
 * `finish` (the webhook marked processed), so it is processed exactly when its effects are stored.
 * The events go out afterwards with snapshots from what the batch returned.
 */
export async function applyEvents(
  s: Services,
  routed: RoutedEvent[],
  finish: (db: Db) => BatchItem<"pg">[] = () => [],
): Promise<void> {
  const items = routed.flatMap(({ event, config }) =>
    event.kind === "message" ? [{ config, message: event.message }] : []
  );
  const now = s.clock.now();
  const parts: WritePlan<EventInput[]>[] = [];
  if (items.length > 0) parts.push(await readMessages(s, items));
  const qrcodes: { configId: string; value: string }[] = [];
  let numbersChanged = false;
  for (const { event: e, config } of routed) {
    switch (e.kind) {
      case "message":
        break;
      case "status":
        parts.push(statusWrite(config, e.status));
        break;
      case "connection":
        numbersChanged = true;
        parts.push({
          statements: (db) => [
            db.update(whatsappConfigs).set({
              connectionState: e.state,
              lastCheckedAt: now,
              ...(e.state === "error"
                ? { lastError: `connection refused (${e.reason ?? "no reason"})` }
                : {}),
              updatedAt: now,
            }).where(eq(whatsappConfigs.id, config.id)),
          ],
          decode: () => [{
            type: "whatsapp.connection_updated",
            tenantId: config.tenantId,
            data: { config_id: config.id, connection_state: e.state },
          }],
        });
        break;
      case "qrcode":
        qrcodes.push({
          configId: config.id,
          value: JSON.stringify({ code: e.code, base64: e.base64, pairing_code: e.pairingCode }),
        });
        break;
      case "quality":
        parts.push({
          statements: (db) => [
            db.update(whatsappConfigs).set({
              ...(e.rating ? { qualityRating: e.rating } : {}),
              ...(e.tier ? { messagingTier: e.tier } : {}),
              updatedAt: now,
            }).where(eq(whatsappConfigs.id, config.id)),
          ],
          decode: () => [],
        });
        break;
      case "error":
        s.obs.log.warn("WhatsApp reported an error for a number", {
          service: "whatsapp",
          config_id: config.id,
          ...e.error,
        });
        parts.push({
          statements: (db) => [
            db.update(whatsappConfigs).set({ lastError: `${e.error.code}: ${e.error.title}` })
              .where(eq(whatsappConfigs.id, config.id)),
          ],
          decode: () => [],
        });
        break;
    }
  }
  // Each part's statements, then `finish`; each part decodes its own results.
  const sizes: number[] = [];
  const results = await atomicList(s.database, (db) => {
    sizes.length = 0;
    const all = parts.map((part) => part.statements(db));
    for (const list of all) sizes.push(list.length);
    return [...all.flat(), ...finish(db)];
  });
  const events: EventInput[] = [];
  let at = 0;
  parts.forEach((part, i) => {
    events.push(...part.decode(results.slice(at, at + sizes[i])));
    at += sizes[i];
  });
  for (const q of qrcodes) await s.kv.set(qrKey(q.configId), q.value, { ttlSeconds: 60 });
  if (numbersChanged) forgetNumbers();
  await s.events.publishAll(events);
}

export const qrKey = (configId: string) => `wa:qr:${configId}`;

/** Live numbers by their routing key, for `applyEvents`. */
export async function configByRoute(
  s: Services,
  provider: "meta" | "evolution" | "sandbox",
  route: string,
): Promise<ConfigRow | undefined> {
  const { db } = s.database;
  const live = isNull(whatsappConfigs.deletedAt);
  if (provider === "evolution") {
    const [row] = await db.select().from(whatsappConfigs)
      .where(and(eq(whatsappConfigs.instanceName, route), eq(whatsappConfigs.apiType, "evolution"), live));
    return row;
  }
  if (/^\d+$/.test(route) && provider !== "sandbox") {
    const [byId] = await db.select().from(whatsappConfigs).where(
      and(eq(whatsappConfigs.phoneNumberId, route), live),
    );
    if (byId) return byId;
    // Quality updates name the display number instead.
    const [byPhone] = await db.select().from(whatsappConfigs)
      .where(
        and(eq(whatsappConfigs.phoneNumber, `+${route}`), eq(whatsappConfigs.apiType, "official"), live),
      );
    return byPhone;
  }
  const [sandbox] = await db.select().from(whatsappConfigs).where(
    and(eq(whatsappConfigs.phoneNumberId, route), live),
  );
  return sandbox;
}

export async function configById(s: Services, id: string): Promise<ConfigRow | undefined> {
  const cached = numbersById.get(id);
  if (cached) return cached;
  const [row] = await s.database.db.select().from(whatsappConfigs)
    .where(and(eq(whatsappConfigs.id, id), isNull(whatsappConfigs.deletedAt)));
  if (row) numbersById.set(id, row);
  return row;
}
