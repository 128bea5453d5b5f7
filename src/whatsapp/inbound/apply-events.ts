import { and, eq, isNull } from "drizzle-orm";
import { whatsappConfigs } from "../../../db/schema/index.ts";
import type { Services } from "../../services.ts";
import { recordStatus } from "../message-status.ts";
import { messageView } from "../message-view.ts";
import { forgetNumbers, numbersById } from "../number-cache.ts";
import type { ConfigRow } from "../providers/provider.ts";
import { applyMessages } from "./apply-messages.ts";
import type { NormalizedEvent } from "./normalized.ts";

const STATUS_EVENTS = {
  sent: "message.sent",
  delivered: "message.delivered",
  read: "message.read",
  failed: "message.failed",
} as const;

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
 * Applies routed events: every message at once (see `applyMessages`), then the rest in order
 * (statuses refer to messages we sent, never to ones in the same call).
 */
export async function applyEvents(s: Services, routed: RoutedEvent[]): Promise<void> {
  const items = routed.flatMap(({ event, config }) =>
    event.kind === "message" ? [{ config, message: event.message }] : []
  );
  if (items.length > 0) await applyMessages(s, items);
  for (const { event: e, config } of routed) {
    switch (e.kind) {
      case "message":
        break;
      case "status": {
        const outcome = await recordStatus(s, config, e.status);
        if (outcome?.moved) {
          await s.events.publish(STATUS_EVENTS[e.status.status], config.tenantId, {
            message: messageView(outcome.moved),
          });
        }
        break;
      }
      case "connection":
        await s.database.db.update(whatsappConfigs).set({
          connectionState: e.state,
          lastCheckedAt: s.clock.now(),
          ...(e.state === "error" ? { lastError: `connection refused (${e.reason ?? "no reason"})` } : {}),
          updatedAt: s.clock.now(),
        }).where(eq(whatsappConfigs.id, config.id));
        forgetNumbers();
        await s.events.publish("whatsapp.connection_updated", config.tenantId, {
          config_id: config.id,
          connection_state: e.state,
        });
        break;
      case "qrcode":
        await s.kv.set(
          qrKey(config.id),
          JSON.stringify({ code: e.code, base64: e.base64, pairing_code: e.pairingCode }),
          {
            ttlSeconds: 60,
          },
        );
        break;
      case "quality":
        await s.database.db.update(whatsappConfigs).set({
          ...(e.rating ? { qualityRating: e.rating } : {}),
          ...(e.tier ? { messagingTier: e.tier } : {}),
          updatedAt: s.clock.now(),
        }).where(eq(whatsappConfigs.id, config.id));
        break;
      case "error":
        s.obs.log.warn("WhatsApp reported an error for a number", {
          service: "whatsapp",
          config_id: config.id,
          ...e.error,
        });
        await s.database.db.update(whatsappConfigs).set({ lastError: `${e.error.code}: ${e.error.title}` })
          .where(eq(whatsappConfigs.id, config.id));
        break;
    }
  }
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
