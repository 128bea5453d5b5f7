import { afterAnswerTogether } from "../core/after-answer.ts";
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

/** Gets the events of a unit of work together (one statement for all of them, if it writes). */
export type EventSubscriber = (events: DomainEvent[]) => Promise<void> | void;

export interface EventInput {
  type: EventType;
  tenantId: string;
  data: Record<string, unknown>;
}

/**
 * The one place events are produced. Each goes to the tenant's realtime room and the metrics at
 * once, and to every subscriber (outgoing webhooks; flows hook in here) after the answer: inside a
 * request that work waits for the response (src/core/after-answer.ts), so fanning events out
 * costs the request no round trip, and all events of a request reach a subscriber in one call.
 * A failing consumer is logged and never fails the action that produced the event.
 *
 * The `data` of an event is a snapshot of the resource as the API returns it (the conversation
 * with its contact, the message with its contact, the contact's view), taken from the statement
 * that changed it, so receivers need not call back to render it. Shapes: src/events/payloads.ts.
 */
export class EventBus {
  #subscribers: EventSubscriber[] = [];

  constructor(private readonly s: Pick<Services, "realtime" | "obs" | "clock">) {}

  subscribe(fn: EventSubscriber): void {
    this.#subscribers.push(fn);
  }

  async publish(type: EventType, tenantId: string, data: Record<string, unknown>): Promise<DomainEvent> {
    return (await this.publishAll([{ type, tenantId, data }]))[0];
  }

  async publishAll(inputs: readonly EventInput[]): Promise<DomainEvent[]> {
    if (inputs.length === 0) return [];
    const createdAt = this.s.clock.now().toISOString();
    const events: DomainEvent[] = inputs.map((e) => ({ id: uuidv7(), ...e, createdAt }));
    const failed = (reason: unknown, type: string) =>
      this.s.obs.log.error("event consumer failed", { event: type, error: reason });
    const live = await Promise.allSettled(events.map((event) => {
      this.s.obs.metrics.eventsPublished.inc({ type: event.type });
      return this.s.realtime.publish({
        tenantId: event.tenantId,
        channel: channelOf(event.type),
        event: event.type,
        data: event.data,
        id: event.id,
        createdAt: event.createdAt,
      });
    }));
    live.forEach((r, i) => r.status === "rejected" && failed(r.reason, events[i].type));
    await Promise.all(this.#subscribers.map((fn) =>
      afterAnswerTogether(fn, events, async (held) => {
        try {
          await fn(held);
        } catch (err) {
          failed(err, held.map((e) => e.type).join(","));
        }
      })
    ));
    return events;
  }
}
