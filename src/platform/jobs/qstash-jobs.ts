import { Client, Receiver } from "@upstash/qstash";
import type { BatchItem } from "drizzle-orm/batch";
import { atomicList, type Database, type Db } from "../db/database.ts";
import type { Enqueued, EnqueueOptions, JobQueue, JobRegistry, JobSpec } from "./jobs.ts";

export interface QStashSettings {
  url: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
}

/** The path QStash calls back for a job; the receiver route serves it. */
export const jobCallbackPath = (name: string): string => `/internal/jobs/${encodeURIComponent(name)}`;

/**
 * Jobs published to QStash, which calls `PUBLIC_BASE_URL/internal/jobs/:name` with the payload,
 * retries on failure and keeps deduplication ids. No `jobs` rows: QStash is the durable queue.
 */
export class QStashJobQueue implements JobQueue {
  readonly kind = "qstash";
  #client: Client;

  constructor(
    settings: QStashSettings,
    private readonly publicBaseUrl: string,
    private readonly registry: JobRegistry,
    private readonly database?: Database,
  ) {
    this.#client = new Client({ baseUrl: settings.url, token: settings.token });
  }

  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<Enqueued> {
    const maxAttempts = opts.maxAttempts ?? this.registry.maxAttempts(name);
    const res = await this.#client.publishJSON({
      url: this.publicBaseUrl + jobCallbackPath(name),
      body: { payload: payload ?? null },
      // QStash counts retries after the first delivery.
      retries: Math.max(0, maxAttempts - 1),
      ...(opts.delaySeconds ? { delay: Math.ceil(opts.delaySeconds) } : {}),
      ...(opts.dedupeId ? { deduplicationId: opts.dedupeId } : {}),
    });
    return { id: res.messageId, deduplicated: res.deduplicated === true };
  }

  /** The statements first (their changes are what the jobs act on), then one publish per job. */
  async enqueueMany(
    specs: JobSpec[],
    opts: { with?: (db: Db) => BatchItem<"pg">[] } = {},
  ): Promise<unknown[]> {
    let results: unknown[] = [];
    if (opts.with) {
      if (!this.database) throw new Error("QStash jobs with statements need the database");
      results = await atomicList(this.database, opts.with);
    }
    await Promise.all(specs.map((j) => this.enqueue(j.name, j.payload, j.opts)));
    return results;
  }
}

/**
 * Checks an `Upstash-Signature` against the current key, then the next one (key rotation), the
 * expected URL and the SHA-256 of the exact raw body. Never throws: false means "answer 401".
 */
export async function verifyQStashSignature(
  keys: { currentSigningKey: string; nextSigningKey: string },
  req: { signature: string | undefined; rawBody: string; url: string },
): Promise<boolean> {
  if (!req.signature) return false;
  const receiver = new Receiver({ ...keys, devMode: false });
  try {
    return await receiver.verify({
      signature: req.signature,
      body: req.rawBody,
      url: req.url,
      clockTolerance: 5,
    });
  } catch {
    return false;
  }
}
