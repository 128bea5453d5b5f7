import type { KV } from "../kv/kv.ts";

/** Where a QStash message stands in the ledger. */
export type DeliveryState = "running" | "completed" | "dead";

export interface DeliveryLedgerOptions {
  /**
   * How long a claim holds before another delivery of the same message may run it: longer than
   * any job runs (a receiver that died mid-job leaves its claim to expire, and QStash retries).
   */
  lockSeconds?: number;
  /** How long a finished message is remembered; QStash gives up on a message well before this. */
  keepSeconds?: number;
}

/**
 * QStash delivers at least once: the same message can arrive twice (a retry after a lost
 * answer, a duplicate on QStash's side), and a captured request could be sent again by anyone.
 * This ledger, in KV (Upstash in production), turns that into one run per message:
 *
 * - every signature is accepted once (its `jti`, kept until it expires anyway): a replay is 401;
 * - a message is claimed before its handler runs (`SET NX` with a lock); a second delivery while
 *   it runs is told to come back later, and one after it finished is acknowledged without
 *   running again.
 *
 * Three KV commands per delivery: the signature, the claim and the outcome.
 */
export class DeliveryLedger {
  readonly #lockSeconds: number;
  readonly #keepSeconds: number;

  constructor(private readonly kv: KV, opts: DeliveryLedgerOptions = {}) {
    this.#lockSeconds = opts.lockSeconds ?? 900;
    this.#keepSeconds = opts.keepSeconds ?? 14 * 86_400;
  }

  /** False when this exact signature was presented before. */
  async firstUseOfSignature(jti: string, expiresAtSeconds: number, nowMs: number): Promise<boolean> {
    // Clock tolerance of the verifier, plus a second: the key must outlive the token.
    const ttl = Math.max(1, Math.ceil(expiresAtSeconds - nowMs / 1000) + 6);
    return await this.kv.set(`jobs:qstash:sig:${jti}`, "1", { ttlSeconds: ttl, onlyIfAbsent: true });
  }

  /** "claimed": run it now. Otherwise the state another delivery left. */
  async claim(messageId: string): Promise<"claimed" | DeliveryState> {
    const key = this.#key(messageId);
    if (await this.kv.set(key, "running", { ttlSeconds: this.#lockSeconds, onlyIfAbsent: true })) {
      return "claimed";
    }
    const state = await this.kv.get(key);
    // Expired between the two commands: the next delivery will claim it.
    return (state ?? "running") as DeliveryState;
  }

  async finish(messageId: string, state: "completed" | "dead"): Promise<void> {
    await this.kv.set(this.#key(messageId), state, { ttlSeconds: this.#keepSeconds });
  }

  /** The run failed and QStash will retry: its next delivery must be able to claim it. */
  async release(messageId: string): Promise<void> {
    await this.kv.del(this.#key(messageId));
  }

  #key(messageId: string): string {
    return `jobs:qstash:msg:${messageId}`;
  }
}
