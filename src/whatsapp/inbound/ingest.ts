import { z } from "@hono/zod-openapi";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { webhookEvents } from "../../../db/schema/index.ts";
import { sha256Hex } from "../../core/crypto.ts";
import { uuidv7 } from "../../core/ids.ts";
import { parseStorableJson } from "../../core/storable-text.ts";
import { errorSummary } from "../../observability/redact.ts";
import type { Db } from "../../platform/db/database.ts";
import type { Services } from "../../services.ts";
import type { ConfigRow } from "../providers/provider.ts";
import { applyEvents, configById, configByRoute, type RoutedEvent, routeEvents } from "./apply-events.ts";
import { parseEvolutionPayload } from "./evolution-payload.ts";
import { parseMetaPayload } from "./meta-payload.ts";

export type WebhookProvider = "meta" | "evolution" | "sandbox";

/** Attempts before a stored event is left as `failed` for a person to look at. */
const MAX_ATTEMPTS = 5;

/**
 * Keeps the raw call before anything else: once this returns, the event cannot be lost, and the
 * same bytes delivered again are recognised (their hash is unique) and not stored twice.
 */
export async function storeWebhook(
  s: Services,
  input: { provider: WebhookProvider; rawBody: string; tenantId?: string | null; configId?: string | null },
): Promise<{ id: string; duplicate: boolean }> {
  const id = uuidv7();
  const dedupeKey = `${input.provider}:${await sha256Hex(input.rawBody)}`;
  const inserted = await s.database.db.insert(webhookEvents).values({
    id,
    provider: input.provider,
    tenantId: input.tenantId ?? null,
    configId: input.configId ?? null,
    dedupeKey,
    rawBody: input.rawBody,
    receivedAt: s.clock.now(),
  }).onConflictDoNothing({ target: webhookEvents.dedupeKey }).returning({ id: webhookEvents.id });
  s.obs.metrics.webhookEvents.inc({
    provider: input.provider,
    outcome: inserted.length ? "stored" : "duplicate",
  });
  return { id: inserted[0]?.id ?? id, duplicate: inserted.length === 0 };
}

export interface StoredEvent {
  id: string;
  provider: WebhookProvider;
  rawBody: string;
  configId: string | null;
  /** The number itself, when the caller holds it already (no lookup). */
  config?: ConfigRow;
}

/**
 * Processes one stored event; safe to call more than once and from several places (right after
 * the 200, and from the sweeper): applying is idempotent, and only a pending event is marked.
 */
export async function processWebhook(
  s: Services,
  eventId: string,
): Promise<"processed" | "failed" | "skipped"> {
  const [event] = await s.database.db.update(webhookEvents).set({
    attempts: sql`${webhookEvents.attempts} + 1`,
  })
    .where(and(eq(webhookEvents.id, eventId), eq(webhookEvents.status, "pending"))).returning();
  if (!event) return "skipped";
  return await applyOne(s, event, event.attempts);
}

/**
 * Processes an event this process just stored (it still holds the body: no read back). Events
 * arriving together are applied together, one batch at a time per database, after the requests
 * already waiting: acknowledging webhooks stays fast while a burst is being worked through.
 */
export function processFresh(s: Services, event: StoredEvent): Promise<"processed" | "failed"> {
  let batcher = batchers.get(s.database);
  if (!batcher) batchers.set(s.database, batcher = new Batcher(s));
  return batcher.add(event);
}

/**
 * What happens to a freshly stored event once the caller has its 200. A long-lived process with
 * its own runner batches it in memory (fast, and the sweep covers a crash). Anywhere else (a
 * Worker, QStash in production) nothing may be left running in memory after the invocation, so
 * processing is a job: `whatsapp.process_webhook` through QStash's signed callback, or the
 * `jobs` table the Worker drains inside `waitUntil`. Publishing is awaited before the 200 but
 * never fails it: the event is already stored, and the minute sweep picks up what was not queued.
 */
export async function processAfterAck(
  s: Services,
  event: StoredEvent,
  background: (work: Promise<unknown>) => void,
): Promise<void> {
  if (s.longLived && s.jobs.kind === "local") {
    background(processFresh(s, event));
    return;
  }
  try {
    await s.jobs.enqueue("whatsapp.process_webhook", { event_id: event.id }, {
      dedupeId: `whatsapp.process_webhook:${event.id}`,
    });
  } catch (err) {
    s.obs.log.error("could not queue webhook processing; the sweep will", {
      service: "whatsapp",
      event_id: event.id,
      error: err,
    });
  }
}

const BATCH = 100;
const batchers = new WeakMap<object, Batcher>();

class Batcher {
  #pending: { event: StoredEvent; done: (r: "processed" | "failed") => void }[] = [];
  #running = false;

  constructor(private readonly s: Services) {}

  add(event: StoredEvent): Promise<"processed" | "failed"> {
    const p = new Promise<"processed" | "failed">((done) => this.#pending.push({ event, done }));
    if (!this.#running) this.#run();
    return p;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        // Requests that arrived meanwhile go first; their events join the next batch.
        await new Promise((r) => setTimeout(r, 0));
        const batch = this.#pending.splice(0, BATCH);
        const results = await applyBatch(this.s, batch.map((b) => b.event));
        batch.forEach((b, i) => b.done(results[i]));
      }
    } finally {
      this.#running = false;
    }
  }
}

async function eventsOf(s: Services, event: StoredEvent): Promise<RoutedEvent[]> {
  // Authentication already tied single-number events to their number; others route per entry.
  const cache = new Map<string, ConfigRow | undefined>();
  const configFor = async (route: string) => {
    const key = event.configId ?? route;
    if (!cache.has(key)) {
      cache.set(
        key,
        event.config ??
          (event.configId
            ? await configById(s, event.configId)
            : await configByRoute(s, event.provider, route)),
      );
    }
    return cache.get(key);
  };
  // Text the database cannot store (a NUL, a lone surrogate) is kept as U+FFFD: the event was
  // acknowledged, so refusing it now would lose the customer's message.
  const payload = parseStorableJson(event.rawBody);
  const events = event.provider === "evolution" ? parseEvolutionPayload(payload) : parseMetaPayload(payload);
  return await routeEvents(s, events, configFor);
}

/** Many events in one go; if that fails, one by one, so a bad event cannot hold up the others. */
async function applyBatch(s: Services, batch: StoredEvent[]): Promise<("processed" | "failed")[]> {
  if (batch.length === 1) return [await applyOne(s, batch[0], 1)];
  try {
    const routed = (await Promise.all(batch.map((e) => eventsOf(s, e)))).flat();
    await applyEvents(s, routed, (db) => [markProcessed(db, s, batch.map((e) => e.id))]);
    for (const e of batch) s.obs.metrics.webhookEvents.inc({ provider: e.provider, outcome: "processed" });
    return batch.map(() => "processed");
  } catch {
    const out: ("processed" | "failed")[] = [];
    for (const e of batch) out.push(await applyOne(s, e, 1));
    return out;
  }
}

/** Processed in the same batch as what processing wrote: done exactly when its effects are. */
const markProcessed = (db: Db, s: Services, ids: string[]) =>
  db.update(webhookEvents).set({ status: "processed", processedAt: s.clock.now(), error: null })
    .where(and(inArray(webhookEvents.id, ids), eq(webhookEvents.status, "pending")));

async function applyOne(s: Services, event: StoredEvent, attempts: number): Promise<"processed" | "failed"> {
  const { db } = s.database;
  try {
    await applyEvents(s, await eventsOf(s, event), (db) => [markProcessed(db, s, [event.id])]);
    s.obs.metrics.webhookEvents.inc({ provider: event.provider, outcome: "processed" });
    return "processed";
  } catch (err) {
    const final = attempts >= MAX_ATTEMPTS || err instanceof SyntaxError;
    await db.update(webhookEvents).set({
      status: final ? "failed" : "pending",
      // Never the statement's parameters (message texts, phones): the column is read by people.
      error: errorSummary(err),
    })
      .where(eq(webhookEvents.id, event.id));
    s.obs.log.error("webhook processing failed", {
      service: "whatsapp",
      event_id: event.id,
      error: err,
      final,
    });
    s.obs.metrics.webhookEvents.inc({ provider: event.provider, outcome: "failed" });
    return "failed";
  }
}

/** Picks up events whose processing never finished (a crash after the 200, an outage). */
export async function sweepWebhooks(s: Services, olderThanSeconds = 30, limit = 200): Promise<number> {
  const cutoff = new Date(s.clock.now().getTime() - olderThanSeconds * 1000);
  const stale = await s.database.db.select({ id: webhookEvents.id }).from(webhookEvents)
    .where(and(eq(webhookEvents.status, "pending"), lt(webhookEvents.receivedAt, cutoff)))
    .orderBy(webhookEvents.receivedAt).limit(limit);
  const minute = Math.floor(s.clock.now().getTime() / 60_000);
  for (const { id } of stale) {
    // Where requests end their invocation, each event is its own job: processed inline, two
    // hundred of them would be thousands of subrequests in one cron invocation.
    if (s.longLived && s.jobs.kind === "local") await processWebhook(s, id);
    else {
      await s.jobs.enqueue("whatsapp.process_webhook", { event_id: id }, {
        dedupeId: `whatsapp.process_webhook:${id}:sweep:${minute}`,
      });
    }
  }
  return stale.length;
}

/** Jobs of the inbound pipeline. The minute sweep that finishes stale events is in src/sweeps.ts. */
export function registerWebhookJobs(s: Services): void {
  s.jobRegistry.register(
    "whatsapp.process_webhook",
    z.object({ event_id: z.uuid() }),
    async ({ event_id }) => {
      await processWebhook(s, event_id);
    },
  );
}
