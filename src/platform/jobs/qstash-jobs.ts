import { Client, Receiver } from "@upstash/qstash";
import type { BatchItem } from "drizzle-orm/batch";
import { decodeJwt } from "jose";
import { atomicList, type Database, type Db } from "../db/database.ts";
import type { Enqueued, EnqueueOptions, JobQueue, JobRegistry, JobSpec } from "./jobs.ts";

export interface QStashSettings {
  url: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** The plan's ceiling on `Upstash-Retries`; a handler's `maxAttempts` is cut to fit it. */
  maxRetries?: number;
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
    this.#maxRetries = settings.maxRetries ?? Infinity;
  }

  #maxRetries: number;

  /** Attempts a job really gets here: its own, within the plan's retry ceiling. */
  #attemptsFor(name: string, maxAttempts = this.registry.maxAttempts(name)): number {
    return Math.min(maxAttempts, this.#maxRetries + 1);
  }

  async enqueue(name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<Enqueued> {
    const maxAttempts = this.#attemptsFor(name, opts.maxAttempts);
    const res = await this.#client.publishJSON({
      url: this.publicBaseUrl + jobCallbackPath(name),
      // The receiver learns from the message itself when the last attempt has come.
      body: { payload: payload ?? null, max_attempts: maxAttempts },
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

/** The claims of a verified `Upstash-Signature` that the receiver acts on. */
export interface QStashClaims {
  /** Unique per signed delivery attempt: seen twice means a replay. */
  jti: string;
  /** Epoch seconds after which the signature is refused anyway. */
  exp: number;
}

/**
 * Checks an `Upstash-Signature` against the current key, then the next one (key rotation), the
 * expected URL and the SHA-256 of the exact raw body. Never throws: null means "answer 401".
 */
export async function verifyQStashDelivery(
  keys: { currentSigningKey: string; nextSigningKey: string },
  req: { signature: string | undefined; rawBody: string; url: string },
): Promise<QStashClaims | null> {
  if (!req.signature) return null;
  const receiver = new Receiver({ ...keys, devMode: false });
  try {
    if (
      !await receiver.verify({ signature: req.signature, body: req.rawBody, url: req.url, clockTolerance: 5 })
    ) {
      return null;
    }
    // Verified above; decoding only reads the claims the Receiver does not hand back.
    const { jti, exp } = decodeJwt(req.signature);
    return typeof jti === "string" && typeof exp === "number" ? { jti, exp } : null;
  } catch {
    return null;
  }
}

export async function verifyQStashSignature(
  keys: { currentSigningKey: string; nextSigningKey: string },
  req: { signature: string | undefined; rawBody: string; url: string },
): Promise<boolean> {
  return await verifyQStashDelivery(keys, req) !== null;
}
