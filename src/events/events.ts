import { uuidv7 } from "../core/ids.ts";
import type { Services } from "../services.ts";

/** Domain events (DESIGN §6). The `channel` says which WebSocket subscription receives them. */
export type EventType =
  | "message.received"
  | "message.sent"
  | "message.delivered"
  | "message.read"
  | "message.failed"
  | "conversation.created"
  | "conversation.updated"
  | "conversation.assigned"
  | "conversation.resolved"
  | "conversation.note_added"
  | "contact.created"
  | "contact.updated"
  | "contact.import_completed"
  | "whatsapp.connection_updated"
  /** An ERP says an invoice was paid (its webhook). */
  | "erp.payment_received"
  /** A trust unlock went through, asked by us (API, flows) or reported by the ERP. */
  | "erp.customer_unblocked"
  /** An ERP ticket was opened, answered or closed, here or in the ERP. */
  | "erp.ticket_updated"
  /** A user's first WebSocket opened / last one closed; produced by the realtime room itself. */
  | "agent.online"
  | "agent.offline";

const channelOf = (type: EventType): string =>
  type.startsWith("message.")
    ? "messages"
    : type.startsWith("conversation.")
    ? "conversations"
    : type.startsWith("contact.")
    ? "contacts"
    : type.startsWith("campaign.")
    ? "campaigns"
    : type.startsWith("agent.")
    ? "agents"
    : type.startsWith("erp.")
    ? "erp"
    : "whatsapp";

export interface DomainEvent {
  id: string;
  type: EventType;
  tenantId: string;
  data: Record<string, unknown>;
  createdAt: string;
}

export type EventSubscriber = (event: DomainEvent) => Promise<void> | void;

/**
 * The one place events are produced: each goes to the tenant's realtime room, to the metrics and
 * to every subscriber (outgoing webhooks, flows hook in here). A failing consumer is logged and
 * never fails the action that produced the event.
 */
export class EventBus {
  #subscribers: EventSubscriber[] = [];

  constructor(private readonly s: Pick<Services, "realtime" | "obs" | "clock">) {}

  subscribe(fn: EventSubscriber): void {
    this.#subscribers.push(fn);
  }

  async publish(type: EventType, tenantId: string, data: Record<string, unknown>): Promise<DomainEvent> {
    const event: DomainEvent = {
      id: uuidv7(),
      type,
      tenantId,
      data,
      createdAt: this.s.clock.now().toISOString(),
    };
    this.s.obs.metrics.eventsPublished.inc({ type });
    const deliveries = [
      this.s.realtime.publish({
        tenantId,
        channel: channelOf(type),
        event: type,
        data,
        id: event.id,
        createdAt: event.createdAt,
      }),
      ...this.#subscribers.map(async (fn) => await fn(event)),
    ];
    for (const r of await Promise.allSettled(deliveries)) {
      if (r.status === "rejected") {
        this.s.obs.log.error("event consumer failed", { event: type, error: r.reason });
      }
    }
    return event;
  }
}
