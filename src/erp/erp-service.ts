/**
 * The ERP domain API: what routes, the sync job, the webhook and flows (issue 13) call.
 *
 *   const erp = await erpFor(services, tenantId);            // the tenant's connected ERP
 *   const erp = await erpFor(services, tenantId, { type: "ixc", defer: (p) => background(c, p) });
 *   if (!erp.ok) …                                            // erp_not_connected
 *   const found = await erp.value.findCustomers("123.456.789-09");
 *   const unlocked = await erp.value.unblock(customerId, { idempotencyKey: `flow:${runId}:${stepId}` });
 *
 * Every operation answers a `Result` (DESIGN §9): expected failures are values with the problem
 * code the HTTP edge would answer (`not_found`, `validation_failed`, `erp_refused`, `erp_error`,
 * `erp_timeout`, `erp_unavailable` with a `Retry-After` header, `erp_unsupported`,
 * `erp_contract_required`), so a bot step can branch on `failure.code` without HTTP.
 *
 * Underneath: the adapter of the connection's ERP (src/erp/adapters/), every call through the
 * outbound guard with the connection's timeout, read-only retries and the tenant's circuit
 * breaker (src/erp/erp-http.ts); customer lookups and plans cached in KV for the connection's
 * TTLs; every call logged (`defer` decides who waits for the log write: a request hands it to
 * `background()`; unset, the operation awaits it, up to the writer's 25 ms coalescing window,
 * which suits jobs; a bot step that answers a customer should pass a `defer`).
 *
 * Writes are never repeated by a retry: the HTTP layer does not retry them, and `unblock` /
 * `createTicket` take an `idempotencyKey` so a flow step run twice gets the first answer back.
 * `unblock` also applies the connection's unlock policy (once per `once_per_days` per customer)
 * with a claim taken before the ERP is called, so two requests at once cannot both unlock.
 */
import { and, desc, eq, gt, sql } from "drizzle-orm";
import { erpConnections, erpUnlocks } from "../../db/schema/index.ts";
import { hmacSha256Hex, sha256Hex, timingSafeEqualText } from "../core/crypto.ts";
import { base64url } from "../core/crypto.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { getJson, setJson } from "../platform/kv/kv.ts";
import type { Services } from "../services.ts";
import { type AdapterContext, todayIn } from "./adapters/common.ts";
import { adapterFor } from "./adapters/registry.ts";
import { CallLog } from "./call-log.ts";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker.ts";
import { maskDocument, parseDocument } from "../core/br-documents.ts";
import { ErpHttp } from "./erp-http.ts";
import {
  type ErpConnectionStatus,
  type ErpCustomer,
  type ErpInvoice,
  erpNames,
  type ErpPlan,
  type ErpPlanChange,
  type ErpSegundaVia,
  type ErpTicket,
  type ErpType,
  type ErpUnlock,
  type TicketStatus,
} from "./model.ts";
import type {
  CreateTicketInput,
  CustomerPage,
  ErpClient,
  ErpCredentials,
  InvoiceFilter,
  Operation,
  TestCheck,
  UpdateTicketInput,
} from "./port.ts";
import { DEFAULT_SETTINGS, effectiveSettings, type ErpSettings } from "./settings.ts";

export type ConnectionRow = typeof erpConnections.$inferSelect;

export interface ErpForOptions {
  /** Which ERP; without it, the tenant's connected one (a real ERP before the sandbox). */
  type?: ErpType;
  /** Where the call-log write goes: `(p) => background(c, p)` in a request; awaited when unset. */
  defer?: (work: Promise<unknown>) => void;
  requestId?: string;
}

export const circuitScope = (tenantId: string, type: ErpType) => `${tenantId}:${type}`;

/** The circuit of a tenant's ERP (KV-backed, shared by every isolate). */
export const breakerFor = (
  s: Services,
  tenantId: string,
  type: ErpType,
  settings: ErpSettings = DEFAULT_SETTINGS,
) =>
  new CircuitBreaker(s.kv, circuitScope(tenantId, type), {
    threshold: settings.circuit.failure_threshold,
    cooldownSeconds: settings.circuit.cooldown_seconds,
  }, () => s.clock.now().getTime());

export async function loadConnection(
  s: Services,
  tenantId: string,
  type?: ErpType,
): Promise<ConnectionRow | undefined> {
  const rows = await s.database.db.select().from(erpConnections)
    .where(and(
      eq(erpConnections.tenantId, tenantId),
      type ? eq(erpConnections.erpType, type) : undefined,
      sql`${erpConnections.status} <> 'disconnected'`,
    ))
    .orderBy(sql`(${erpConnections.erpType} = 'sandbox')`, desc(erpConnections.connectedAt))
    .limit(1);
  return rows[0];
}

/** Builds the guarded, logged adapter for a connection (also used by `connect` before saving). */
export function buildClient(
  s: Services,
  c: {
    tenantId: string;
    connectionId: string;
    type: ErpType;
    apiUrl: string | null;
    credentials: ErpCredentials;
    settings: ErpSettings;
    /** Another circuit than the tenant's (a connect or test probing credentials). */
    breakerTenant?: string;
  },
  log: CallLog,
): { client: ErpClient; http: ErpHttp; breaker: CircuitBreaker } {
  const breaker = breakerFor(s, c.breakerTenant ?? c.tenantId, c.type, c.settings);
  const secrets = Object.values(c.credentials).filter((v): v is string => typeof v === "string");
  const http = new ErpHttp(
    s,
    {
      baseUrl: c.apiUrl ?? "",
      erpName: erpNames[c.type],
      timeoutMs: c.settings.timeout_ms,
      retries: c.settings.retries,
      secrets,
    },
    breaker,
    log,
  );
  const ctx: AdapterContext = {
    tenantId: c.tenantId,
    connectionId: c.connectionId,
    baseUrl: c.apiUrl ?? "",
    credentials: c.credentials,
    settings: c.settings,
    http,
    services: s,
  };
  return { client: adapterFor(c.type, ctx), http, breaker };
}

/** The tenant's ERP as a domain object; `erp_not_connected` when it has none of that type. */
export async function erpFor(
  s: Services,
  tenantId: string,
  opts: ErpForOptions = {},
): Promise<Result<ErpSession>> {
  const row = await loadConnection(s, tenantId, opts.type);
  if (!row || !row.credentials) {
    return fail(
      "erp_not_connected",
      opts.type
        ? `No ${erpNames[opts.type]} is connected; connect it with POST /api/v1/erp/connect/${opts.type}`
        : "No ERP is connected; connect one with POST /api/v1/erp/connect/{erp_type}",
      { extensions: { erp_type: opts.type ?? null } },
    );
  }
  return ok(await ErpSession.open(s, row, opts));
}

/** A signed, expiring link to an invoice's PDF, for ERPs that hand us bytes (IXC, the sandbox). */
export async function invoicePdfLink(
  s: Services,
  tenantId: string,
  type: ErpType,
  invoiceId: string,
  customerId: string | null,
): Promise<string> {
  const exp = Math.floor(s.clock.now().getTime() / 1000) + PDF_LINK_SECONDS;
  const payload = base64url(new TextEncoder().encode(JSON.stringify({ t: tenantId, c: customerId, e: exp })));
  const sig = await hmacSha256Hex(pdfKey(s), `${type}.${invoiceId}.${payload}`);
  return `${s.config.publicBaseUrl}/api/v1/erp/${type}/invoices/${
    encodeURIComponent(invoiceId)
  }/pdf?token=${payload}.${sig.slice(0, 32)}`;
}

/** Checks a PDF link's token; the tenant and customer it was made for, or null. */
export async function verifyPdfToken(
  s: Services,
  type: ErpType,
  invoiceId: string,
  token: string,
): Promise<{ tenantId: string; customerId: string | null } | null> {
  const [payload, sig] = token.split(".");
  if (!payload || !sig) return null;
  const expected = (await hmacSha256Hex(pdfKey(s), `${type}.${invoiceId}.${payload}`)).slice(0, 32);
  if (!await timingSafeEqualText(sig, expected)) return null;
  try {
    const b = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const data = JSON.parse(new TextDecoder().decode(Uint8Array.from(b, (ch) => ch.charCodeAt(0))));
    if (typeof data.t !== "string" || typeof data.e !== "number") return null;
    if (data.e * 1000 < s.clock.now().getTime()) return null;
    return { tenantId: data.t, customerId: typeof data.c === "string" ? data.c : null };
  } catch {
    return null;
  }
}

/** Links live three days: Meta fetches the file when it sends; the customer may open it later. */
const PDF_LINK_SECONDS = 3 * 86_400;
const pdfKey = (s: Services) => `erp-pdf-link:${s.config.encryptionKey ?? s.config.jwtSecret ?? ""}`;

const ONCE_TTL_SECONDS = 24 * 3600;

/** Which cached lookup holds a customer, so a change to it (unlock, payment) drops that entry. */
const customerIndexKey = (connectionId: string, customerId: string) =>
  `erp:cache:${connectionId}:cidx:${customerId}`;

/** Customers whose state just changed (an unlock, a new plan, a payment) are looked up afresh next time. */
export async function forgetCachedCustomer(
  s: Services,
  connectionId: string,
  customerId: string,
): Promise<void> {
  const idx = customerIndexKey(connectionId, customerId);
  const key = await s.kv.get(idx);
  await s.kv.del(idx, ...(key ? [key] : []));
}

export class ErpSession {
  readonly #log: CallLog;
  readonly #cachePrefix: string;

  private constructor(
    private readonly s: Services,
    readonly connection: ConnectionRow,
    readonly settings: ErpSettings,
    readonly client: ErpClient,
    private readonly breaker: CircuitBreaker,
    private readonly http: ErpHttp,
    log: CallLog,
    private readonly opts: ErpForOptions,
  ) {
    this.#log = log;
    this.#cachePrefix =
      `erp:cache:${connection.tenantId}:${connection.erpType}:${connection.id}:${connection.updatedAt.getTime()}`;
  }

  static async open(s: Services, row: ConnectionRow, opts: ErpForOptions): Promise<ErpSession> {
    const settings = effectiveSettings(row.settings);
    const log = new CallLog(s, { tenantId: row.tenantId, erpType: row.erpType, requestId: opts.requestId });
    const credentials = await s.secrets.open<ErpCredentials>(row.credentials!);
    const { client, http, breaker } = buildClient(s, {
      tenantId: row.tenantId,
      connectionId: row.id,
      type: row.erpType,
      apiUrl: row.apiUrl,
      credentials,
      settings,
    }, log);
    return new ErpSession(s, row, settings, client, breaker, http, log, opts);
  }

  get type(): ErpType {
    return this.connection.erpType;
  }

  get tenantId(): string {
    return this.connection.tenantId;
  }

  get unsupported(): Partial<Record<Operation, string>> {
    return this.client.unsupported;
  }

  circuitState(): Promise<CircuitState> {
    return this.breaker.state();
  }

  /** Writes the buffered call log now (the routes' `defer` usually does it after the answer). */
  flush(): Promise<void> {
    return this.#log.flush();
  }

  async #done<T>(result: Result<T>): Promise<Result<T>> {
    const written = this.#log.flush().catch((err) =>
      this.s.obs.log.error("erp call log not written", { error: err })
    );
    if (this.opts.defer) this.opts.defer(written);
    else await written;
    return result;
  }

  async #cached<T>(
    key: string,
    ttl: number,
    operation: string,
    endpoint: string,
    load: () => Promise<Result<T>>,
  ) {
    const full = `${this.#cachePrefix}:${key}`;
    if (ttl > 0) {
      const hit = await getJson<T>(this.s.kv, full);
      if (hit !== null) {
        this.http.record({
          operation,
          method: "GET",
          endpoint: `cache:${endpoint}`,
          outcome: "cached",
          httpStatus: null,
          latencyMs: 0,
          error: null,
        });
        return ok(hit);
      }
    }
    const before = this.#log.entries.length;
    const result = await load();
    const first = this.#log.entries[before];
    if (first && ttl > 0) first.cacheMiss = true;
    if (result.ok && ttl > 0) await setJson(this.s.kv, full, result.value, { ttlSeconds: ttl });
    return result;
  }

  async #forgetCustomer(customerId: string): Promise<void> {
    await forgetCachedCustomer(this.s, this.connection.id, customerId);
  }

  /**
   * Runs `work` once per key: a second call with the same key (a retried flow step) gets the
   * first answer, and while the first runs the second is refused rather than run alongside.
   */
  async #once<T>(key: string | undefined, work: () => Promise<Result<T>>): Promise<Result<T>> {
    if (!key) return await work();
    const kvKey = `erp:once:${this.tenantId}:${this.type}:${await sha256Hex(key)}`;
    const claimed = await this.s.kv.set(kvKey, JSON.stringify({ state: "running" }), {
      ttlSeconds: ONCE_TTL_SECONDS,
      onlyIfAbsent: true,
    });
    if (!claimed) {
      const stored = await getJson<{ state: string; result?: Result<T> }>(this.s.kv, kvKey);
      if (stored?.result) return stored.result;
      return fail(
        "conflict",
        "This operation is already running with the same idempotency key; retry shortly",
        {
          headers: { "Retry-After": "1" },
        },
      );
    }
    const result = await work();
    // A failure that may have happened anyway (a timeout) is kept too: running it again could repeat it.
    if (result.ok || result.failure.code === "erp_timeout") {
      await setJson(this.s.kv, kvKey, { state: "done", result }, { ttlSeconds: ONCE_TTL_SECONDS });
    } else {
      await this.s.kv.del(kvKey);
    }
    return result;
  }

  async test(): Promise<Result<TestCheck[]>> {
    this.http.operation = "test";
    return await this.#done(await this.client.test());
  }

  /** By CPF or CNPJ as typed; a document with wrong check digits is `validation_failed`. */
  async findCustomers(document: string): Promise<Result<ErpCustomer[]>> {
    this.http.operation = "find_customers";
    const parsed = parseDocument(document);
    if (!parsed.ok) {
      return fail("validation_failed", parsed.reason, {
        errors: [{ path: "path.document", message: parsed.reason }],
      });
    }
    const doc = parsed.document;
    const key = `cust:${await sha256Hex(doc.value)}`;
    const result = await this.#cached(
      key,
      this.settings.cache_ttl_seconds.customers,
      "find_customers",
      `customers?document=${maskDocument(doc)}`,
      () => this.client.findCustomers(doc),
    );
    if (result.ok && this.settings.cache_ttl_seconds.customers > 0) {
      const ttl = this.settings.cache_ttl_seconds.customers;
      await Promise.all(
        result.value.map((c) =>
          this.s.kv.set(customerIndexKey(this.connection.id, c.id), `${this.#cachePrefix}:${key}`, {
            ttlSeconds: ttl,
          })
        ),
      );
    }
    return await this.#done(result);
  }

  async invoices(customerId: string, filter: InvoiceFilter = "open"): Promise<Result<ErpInvoice[]>> {
    this.http.operation = "invoices";
    const result = await this.client.invoices(customerId, filter);
    if (!result.ok) return await this.#done(result);
    const wanted = filter === "open"
      ? new Set(this.settings.open_invoice_statuses)
      : filter === "paid"
      ? new Set(["paid"])
      : null;
    const rows = result.value.filter((i) => !wanted || wanted.has(i.status))
      .sort((a, b) => a.due_date.localeCompare(b.due_date) || a.id.localeCompare(b.id));
    const withLinks = await Promise.all(rows.map(async (i) => ({
      ...i,
      pdf_url: i.pdf_url ??
        (this.#hostsPdf && (i.status === "open" || i.status === "overdue")
          ? await invoicePdfLink(this.s, this.tenantId, this.type, i.id, i.customer_id)
          : null),
    })));
    return await this.#done(ok(withLinks));
  }

  get #hostsPdf(): boolean {
    return this.client.unsupported.invoice_pdf === undefined;
  }

  async segundaVia(invoiceId: string, opts: { customerId?: string } = {}): Promise<Result<ErpSegundaVia>> {
    this.http.operation = "segunda_via";
    const result = await this.client.segundaVia(invoiceId, opts);
    if (result.ok && !result.value.pdf_url && this.#hostsPdf) {
      result.value.pdf_url = await invoicePdfLink(
        this.s,
        this.tenantId,
        this.type,
        invoiceId,
        result.value.customer_id ?? opts.customerId ?? null,
      );
    }
    return await this.#done(result);
  }

  async invoicePdf(invoiceId: string, opts: { customerId?: string } = {}): Promise<Result<Uint8Array>> {
    this.http.operation = "invoice_pdf";
    return await this.#done(await this.client.invoicePdf(invoiceId, opts));
  }

  async connectionStatus(
    customerId: string,
    opts: { contractId?: string } = {},
  ): Promise<Result<ErpConnectionStatus>> {
    this.http.operation = "connection_status";
    return await this.#done(await this.client.connectionStatus(customerId, opts));
  }

  async createTicket(
    input: CreateTicketInput,
    opts: { idempotencyKey?: string } = {},
  ): Promise<Result<ErpTicket>> {
    this.http.operation = "create_ticket";
    const result = await this.#once(opts.idempotencyKey && `ticket:${opts.idempotencyKey}`, async () => {
      const created = await this.client.createTicket(input);
      if (created.ok) {
        await this.s.events.publish("erp.ticket_updated", this.tenantId, {
          erp_type: this.type,
          change: "created",
          source: "pytake",
          ticket: created.value,
        });
      }
      return created;
    });
    return await this.#done(result);
  }

  async tickets(
    customerId: string,
    opts: { status?: TicketStatus | "open_any" } = {},
  ): Promise<Result<ErpTicket[]>> {
    this.http.operation = "tickets";
    return await this.#done(await this.client.tickets(customerId, opts));
  }

  async updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    this.http.operation = "update_ticket";
    const result = await this.client.updateTicket(ticketId, input);
    if (result.ok) {
      await this.s.events.publish("erp.ticket_updated", this.tenantId, {
        erp_type: this.type,
        change: input.close ? "closed" : "message_added",
        source: "pytake",
        ticket: result.value,
      });
    }
    return await this.#done(result);
  }

  async plans(): Promise<Result<ErpPlan[]>> {
    this.http.operation = "plans";
    return await this.#done(
      await this.#cached(
        "plans",
        this.settings.cache_ttl_seconds.plans,
        "plans",
        "plans",
        () => this.client.plans(),
      ),
    );
  }

  async changePlan(
    customerId: string,
    planId: string,
    opts: { contractId?: string; idempotencyKey?: string } = {},
  ): Promise<Result<ErpPlanChange>> {
    this.http.operation = "change_plan";
    const result = await this.#once(opts.idempotencyKey && `plan:${opts.idempotencyKey}`, async () => {
      const changed = await this.client.changePlan(customerId, planId, opts);
      if (changed.ok) await this.#forgetCustomer(customerId);
      return changed;
    });
    return await this.#done(result);
  }

  /**
   * Desbloqueio de confiança: the connection's policy first (enabled; one per `once_per_days`
   * per customer, claimed before the call), then the ERP's own rule. A refusal or failure gives
   * the claim back, except a timeout: the ERP may have unlocked, and doing it twice is worse.
   */
  async unblock(
    customerId: string,
    opts: { contractId?: string; idempotencyKey?: string; requestedBy?: string } = {},
  ): Promise<Result<ErpUnlock>> {
    this.http.operation = "unblock";
    const policy = this.settings.unlock;
    if (!policy.enabled) {
      return await this.#done(fail("erp_refused", "Trust unlocks are switched off for this ERP connection", {
        extensions: { reason: "disabled" },
      }));
    }
    const result = await this.#once(opts.idempotencyKey && `unlock:${opts.idempotencyKey}`, async () => {
      const claim = await this.#claimUnlock(customerId, opts.requestedBy);
      if (!claim.ok) return claim as Result<never>;
      const unlocked = await this.client.unblock(customerId, {
        contractId: opts.contractId,
        days: policy.days,
      });
      const { db } = this.s.database;
      if (!unlocked.ok) {
        if (claim.value && unlocked.failure.code !== "erp_timeout") {
          await db.delete(erpUnlocks).where(eq(erpUnlocks.id, claim.value));
        }
        return unlocked;
      }
      if (claim.value) {
        await db.update(erpUnlocks).set({
          contractId: unlocked.value.contract_id,
          until: unlocked.value.until,
          protocol: unlocked.value.protocol,
        }).where(eq(erpUnlocks.id, claim.value));
      } else {
        await db.insert(erpUnlocks).values({
          id: uuidv7(),
          tenantId: this.tenantId,
          erpType: this.type,
          customerId,
          contractId: unlocked.value.contract_id,
          until: unlocked.value.until,
          protocol: unlocked.value.protocol,
          requestedBy: opts.requestedBy ?? null,
          createdAt: this.s.clock.now(),
        });
      }
      await this.#forgetCustomer(customerId);
      await this.s.events.publish("erp.customer_unblocked", this.tenantId, {
        erp_type: this.type,
        source: "pytake",
        ...unlocked.value,
      });
      return unlocked;
    });
    return await this.#done(result);
  }

  /** Takes the policy's claim in one conditional insert; the claim's id, or null without a policy. */
  async #claimUnlock(customerId: string, requestedBy?: string): Promise<Result<string | null>> {
    const days = this.settings.unlock.once_per_days;
    if (days === 0) return ok(null);
    const now = this.s.clock.now();
    const since = new Date(now.getTime() - days * 86_400_000);
    const id = uuidv7();
    const recent = and(
      eq(erpUnlocks.tenantId, this.tenantId),
      eq(erpUnlocks.erpType, this.type),
      eq(erpUnlocks.customerId, customerId),
      gt(erpUnlocks.createdAt, since),
    );
    const inserted = await this.s.database.rows<{ id: string }>(sql`
      insert into ${erpUnlocks} (id, tenant_id, erp_type, customer_id, requested_by, created_at)
      select ${id}::uuid, ${this.tenantId}::uuid, ${this.type}, ${customerId}, ${requestedBy ?? null},
        ${now.toISOString()}::timestamptz
      where not exists (select 1 from ${erpUnlocks} where ${recent})
      returning id`);
    if (inserted.length) return ok(id);
    const [last] = await this.s.database.db.select({ at: erpUnlocks.createdAt }).from(erpUnlocks)
      .where(recent).orderBy(desc(erpUnlocks.createdAt)).limit(1);
    const next = last ? new Date(last.at.getTime() + days * 86_400_000) : now;
    return fail(
      "erp_refused",
      `This customer already had a trust unlock on ${
        last?.at.toISOString().slice(0, 10) ?? todayIn(this.s)
      }; this connection allows one every ${days} days`,
      { extensions: { reason: "policy", next_available_at: next.toISOString() } },
    );
  }

  async listCustomers(cursor: string | null): Promise<Result<CustomerPage>> {
    this.http.operation = "list_customers";
    return await this.#done(await this.client.listCustomers(cursor));
  }
}
