import type { KV } from "../platform/kv/kv.ts";

/**
 * A circuit breaker per tenant and ERP, kept in KV so every Worker isolate and Deno instance
 * sees the same state. ISP ERPs are on-premise servers that go down for minutes; once one is
 * failing, answering at once with 503 beats making every customer on WhatsApp wait for a timeout.
 *
 * - closed: calls go through; failures (timeouts, network errors, 5xx, unreadable answers)
 *   are counted in a one-minute window. At `threshold` the circuit opens.
 * - open: calls are refused for `cooldown` seconds (503 `erp_unavailable` with Retry-After).
 * - half-open: after the cooldown exactly one probe call is let through (a KV claim decides who);
 *   success closes the circuit, failure opens it again.
 *
 * A successful call in the closed state writes nothing, so a healthy ERP costs one KV read per call.
 */

export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitPolicy {
  threshold: number;
  cooldownSeconds: number;
}

export type Admission =
  | { admitted: true; probe: boolean }
  | { admitted: false; retryAfterSeconds: number };

const WINDOW_SECONDS = 60;
/** How long a tripped circuit remembers it was tripped (so the next call after the cooldown probes). */
const TRIPPED_SECONDS = 24 * 3600;

export class CircuitBreaker {
  readonly #keys: { fails: string; open: string; tripped: string; probe: string };

  constructor(
    private readonly kv: KV,
    scope: string,
    private readonly policy: CircuitPolicy,
    private readonly now: () => number,
  ) {
    const base = `erp:cb:${scope}`;
    this.#keys = {
      fails: `${base}:fails`,
      open: `${base}:open`,
      tripped: `${base}:tripped`,
      probe: `${base}:probe`,
    };
  }

  static keysFor(scope: string): string[] {
    const base = `erp:cb:${scope}`;
    return [`${base}:open`, `${base}:tripped`];
  }

  /** State from the two values `keysFor` names (one `mget` for many circuits). */
  static stateOf(open: string | null, tripped: string | null): CircuitState {
    return open ? "open" : tripped ? "half_open" : "closed";
  }

  async state(): Promise<CircuitState> {
    const [open, tripped] = await this.kv.mget([this.#keys.open, this.#keys.tripped]);
    return CircuitBreaker.stateOf(open, tripped);
  }

  async admit(probeSeconds: number): Promise<Admission> {
    const [open, tripped] = await this.kv.mget([this.#keys.open, this.#keys.tripped]);
    if (open) {
      return {
        admitted: false,
        retryAfterSeconds: Math.max(1, Math.ceil((Number(open) - this.now()) / 1000)),
      };
    }
    if (!tripped) return { admitted: true, probe: false };
    // Half-open: the first caller to claim the probe goes; the others wait for its outcome.
    const claimed = await this.kv.set(this.#keys.probe, "1", {
      ttlSeconds: Math.max(1, probeSeconds),
      onlyIfAbsent: true,
    });
    return claimed ? { admitted: true, probe: true } : { admitted: false, retryAfterSeconds: 1 };
  }

  async success(probe: boolean): Promise<void> {
    if (probe) await this.kv.del(this.#keys.tripped, this.#keys.probe, this.#keys.fails);
  }

  /** Records a failure; true when this failure opened the circuit. */
  async failure(probe: boolean): Promise<boolean> {
    const fails = probe ? this.policy.threshold : await this.kv.incr(this.#keys.fails, {
      ttlSeconds: WINDOW_SECONDS,
    });
    if (fails < this.policy.threshold) return false;
    const until = this.now() + this.policy.cooldownSeconds * 1000;
    await Promise.all([
      this.kv.set(this.#keys.open, String(until), { ttlSeconds: this.policy.cooldownSeconds }),
      this.kv.set(this.#keys.tripped, "1", { ttlSeconds: TRIPPED_SECONDS }),
      this.kv.del(this.#keys.fails, this.#keys.probe),
    ]);
    return true;
  }

  /** Back to closed (a reconnect with new settings starts clean). */
  async reset(): Promise<void> {
    await this.kv.del(...Object.values(this.#keys));
  }
}
