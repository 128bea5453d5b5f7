import { and, eq, sql } from "drizzle-orm";
import {
  erpSandboxContracts,
  erpSandboxCustomers,
  erpSandboxInvoices,
  erpSandboxTickets,
} from "../../../db/schema/index.ts";
import type { ErpCallOutcome } from "../../../db/schema/index.ts";
import { fail, ok, type Result } from "../../core/result.ts";
import { isUniqueViolation } from "../../platform/db/errors.ts";
import type { Services } from "../../services.ts";
import { type AdapterContext, pickContract, todayIn } from "../adapters/common.ts";
import { formatDocument, maskDocument, type TaxDocument } from "../../core/br-documents.ts";
import type {
  CustomerStatus,
  ErpConnection,
  ErpConnectionStatus,
  ErpContract,
  ErpCustomer,
  ErpInvoice,
  ErpPlan,
  ErpPlanChange,
  ErpSegundaVia,
  ErpTicket,
  ErpUnlock,
  TicketStatus,
  TicketType,
} from "../model.ts";
import { worstStatus } from "../model.ts";
import type {
  CreateTicketInput,
  CustomerPage,
  ErpClient,
  InvoiceFilter,
  TestCheck,
  UpdateTicketInput,
} from "../port.ts";
import { renderBoletoPdf } from "./boleto-pdf.ts";
import { generateDataset, idPrefix, localDate, SANDBOX_ISP, SANDBOX_PLANS } from "./dataset.ts";

/**
 * The sandbox ERP: the ISP of `dataset.ts`, living in four tables of our database and answering
 * through the same port as a real ERP, with a real ERP's rules: a trust unlock once per 30 days
 * and only for a blocked contract, no plan change while blocked, closed tickets take no
 * messages. Its queries are logged like calls to a real ERP.
 */

type CustomerRow = typeof erpSandboxCustomers.$inferSelect;
type ContractRow = typeof erpSandboxContracts.$inferSelect;
type InvoiceRow = typeof erpSandboxInvoices.$inferSelect;
type TicketRow = typeof erpSandboxTickets.$inferSelect;

const UNLOCK_PERIOD_DAYS = 30;

/** Joins a table's rows to the customer of the same tenant that owns them. */
const ofCustomer = (t: typeof erpSandboxContracts | typeof erpSandboxInvoices | typeof erpSandboxTickets) =>
  and(eq(t.tenantId, erpSandboxCustomers.tenantId), eq(t.customerId, erpSandboxCustomers.id));
const PAGE = 100;

/** Stores the tenant's sandbox ISP, once: a second connect finds it there and keeps its state. */
export async function seedSandbox(s: Services, tenantId: string): Promise<{ seeded: boolean }> {
  const [existing] = await s.database.db.select({ id: erpSandboxCustomers.id }).from(erpSandboxCustomers)
    .where(eq(erpSandboxCustomers.tenantId, tenantId)).limit(1);
  if (existing) return { seeded: false };
  const data = generateDataset(tenantId, s.clock.now());
  const chunks = <T>(rows: T[], size = 400): T[][] =>
    Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
  await s.database.atomic((db) => {
    const statements = [
      ...chunks(data.customers).map((rows) =>
        db.insert(erpSandboxCustomers).values(rows.map((r) => ({ ...r, tenantId }))).onConflictDoNothing()
      ),
      ...chunks(data.contracts).map((rows) =>
        db.insert(erpSandboxContracts).values(rows.map((r) => ({ ...r, tenantId }))).onConflictDoNothing()
      ),
      ...chunks(data.invoices).map((rows) =>
        db.insert(erpSandboxInvoices).values(rows.map((r) => ({ ...r, tenantId }))).onConflictDoNothing()
      ),
      ...chunks(data.tickets).map((rows) =>
        db.insert(erpSandboxTickets).values(rows.map((r) => ({ ...r, tenantId }))).onConflictDoNothing()
      ),
    ];
    return statements as unknown as [typeof statements[0], ...typeof statements];
  });
  return { seeded: true };
}

/** A blocked contract released by a trust unlock is active until the end of its `until` day. */
function effectiveStatus(c: ContractRow, today: string): CustomerStatus {
  if (c.status === "blocked" && c.unlockedUntil && c.unlockedUntil >= today) return "active";
  return c.status as CustomerStatus;
}

const planOf = (id: string) => SANDBOX_PLANS.find((p) => p.id === id);

function contractView(c: ContractRow, today: string): ErpContract {
  const p = planOf(c.planId);
  return {
    id: c.id,
    status: effectiveStatus(c, today),
    plan: {
      id: c.planId,
      name: p?.name ?? null,
      download_mbps: p?.download_mbps ?? null,
      upload_mbps: p?.upload_mbps ?? null,
      price_cents: p?.price_cents ?? null,
    },
    login: c.login,
  };
}

function customerView(c: CustomerRow, contracts: ContractRow[], today: string): ErpCustomer {
  const views = contracts.map((k) => contractView(k, today));
  return {
    id: c.id,
    document: c.document,
    document_type: c.document.length === 11 ? "cpf" : "cnpj",
    name: c.name,
    email: c.email,
    phones: c.phones,
    address: {
      street: c.address.street ?? null,
      number: c.address.number ?? null,
      complement: c.address.complement ?? null,
      district: c.address.district ?? null,
      city: c.address.city ?? null,
      state: c.address.state ?? null,
      zip: c.address.zip ?? null,
    },
    status: c.cancelled ? "cancelled" : worstStatus(views.map((v) => v.status)),
    contracts: views,
    alerts: [],
  };
}

function invoiceView(i: InvoiceRow, today: string): ErpInvoice {
  const status = i.status === "open" && i.dueDate < today ? "overdue" : i.status as ErpInvoice["status"];
  return {
    id: i.id,
    customer_id: i.customerId,
    contract_id: i.contractId,
    description: i.description,
    due_date: i.dueDate,
    amount_cents: i.amountCents,
    status,
    paid_at: i.paidAt?.toISOString() ?? null,
    linha_digitavel: i.linhaDigitavel,
    barcode: i.barcode,
    pix_copia_e_cola: i.pix,
    pdf_url: null,
    payment_url: null,
  };
}

function ticketView(t: TicketRow): ErpTicket {
  return {
    id: t.id,
    protocol: t.protocol,
    customer_id: t.customerId,
    contract_id: t.contractId,
    type: t.type as TicketType,
    subject: t.subject,
    status: t.status as TicketStatus,
    messages: t.messages,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export class SandboxErp implements ErpClient {
  readonly type = "sandbox" as const;
  readonly unsupported = {};
  readonly #s: Services;
  readonly #t: string;

  constructor(private readonly ctx: AdapterContext) {
    this.#s = ctx.services;
    this.#t = ctx.tenantId;
  }

  get #db() {
    return this.#s.database.db;
  }

  #customerIs(id: string) {
    return and(eq(erpSandboxCustomers.tenantId, this.#t), eq(erpSandboxCustomers.id, id));
  }

  get #today() {
    return todayIn(this.#s);
  }

  /** Runs one sandbox "call" and logs it as an ERP call would be. */
  async #call<T>(operation: string, endpoint: string, run: () => Promise<Result<T>>): Promise<Result<T>> {
    const at = this.#s.clock.now().getTime();
    const started = performance.now();
    const result = await run();
    const outcome: ErpCallOutcome = result.ok
      ? "ok"
      : result.failure.code === "not_found"
      ? "not_found"
      : result.failure.code === "erp_refused"
      ? "refused"
      : "erp_error";
    this.ctx.http.record({
      at,
      operation,
      method: "SQL",
      endpoint: `sandbox:${endpoint}`,
      outcome,
      httpStatus: null,
      latencyMs: performance.now() - started,
      error: result.ok ? null : result.failure.detail,
    });
    return result;
  }

  async #customer(id: string): Promise<{ customer: CustomerRow; contracts: ContractRow[] } | null> {
    const rows = await this.#db.select({ c: erpSandboxCustomers, k: erpSandboxContracts }).from(
      erpSandboxCustomers,
    )
      .leftJoin(erpSandboxContracts, ofCustomer(erpSandboxContracts))
      .where(this.#customerIs(id))
      .orderBy(erpSandboxContracts.id);
    if (rows.length === 0) return null;
    return { customer: rows[0].c, contracts: rows.flatMap((r) => (r.k ? [r.k] : [])) };
  }

  test(): Promise<Result<TestCheck[]>> {
    return this.#call("test", "status", async () => {
      const [row] = await this.#s.database.rows<{ customers: number; invoices: number }>(sql`
        select (select count(*) from ${erpSandboxCustomers} where tenant_id = ${this.#t})::int as customers,
               (select count(*) from ${erpSandboxInvoices} where tenant_id = ${this.#t})::int as invoices`);
      return ok([{
        name: "sandbox",
        ok: row.customers > 0,
        detail: row.customers > 0
          ? `${SANDBOX_ISP.name}: ${row.customers} customers, ${row.invoices} invoices`
          : "the sandbox ISP has no customers (connect it again to seed them)",
      }]);
    });
  }

  findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>> {
    return this.#call("find_customers", `customers?document=${maskDocument(document)}`, async () => {
      const rows = await this.#db.select({ c: erpSandboxCustomers, k: erpSandboxContracts }).from(
        erpSandboxCustomers,
      )
        .leftJoin(erpSandboxContracts, ofCustomer(erpSandboxContracts))
        .where(
          and(eq(erpSandboxCustomers.tenantId, this.#t), eq(erpSandboxCustomers.document, document.value)),
        )
        .orderBy(erpSandboxCustomers.id, erpSandboxContracts.id);
      const byId = new Map<string, { c: CustomerRow; k: ContractRow[] }>();
      for (const r of rows) {
        const entry = byId.get(r.c.id) ?? { c: r.c, k: [] };
        if (r.k) entry.k.push(r.k);
        byId.set(r.c.id, entry);
      }
      return ok([...byId.values()].map((e) => customerView(e.c, e.k, this.#today)));
    });
  }

  invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>> {
    return this.#call("invoices", `invoices?customer_id=${customerId}&status=${filter}`, async () => {
      const rows = await this.#db.select({ c: erpSandboxCustomers.id, i: erpSandboxInvoices }).from(
        erpSandboxCustomers,
      )
        .leftJoin(erpSandboxInvoices, ofCustomer(erpSandboxInvoices))
        .where(this.#customerIs(customerId))
        .orderBy(erpSandboxInvoices.dueDate, erpSandboxInvoices.id);
      if (rows.length === 0) return fail("not_found", `No customer ${customerId} in the ERP`);
      return ok(rows.flatMap((r) => (r.i ? [invoiceView(r.i, this.#today)] : [])));
    });
  }

  async #invoice(invoiceId: string): Promise<InvoiceRow | undefined> {
    const [row] = await this.#db.select().from(erpSandboxInvoices)
      .where(and(eq(erpSandboxInvoices.tenantId, this.#t), eq(erpSandboxInvoices.id, invoiceId)));
    return row;
  }

  segundaVia(invoiceId: string, opts: { customerId?: string }): Promise<Result<ErpSegundaVia>> {
    return this.#call("segunda_via", `invoices/${invoiceId}/segunda-via`, async () => {
      const row = await this.#invoice(invoiceId);
      if (!row || (opts.customerId && row.customerId !== opts.customerId)) {
        return fail("not_found", `No invoice ${invoiceId} in the ERP`);
      }
      if (row.status !== "open") {
        return fail(
          "erp_refused",
          `Invoice ${invoiceId} is ${row.status === "paid" ? "already paid" : "cancelled"}`,
          {
            extensions: { reason: row.status },
          },
        );
      }
      const v = invoiceView(row, this.#today);
      return ok({
        invoice_id: v.id,
        customer_id: v.customer_id,
        due_date: v.due_date,
        amount_cents: v.amount_cents,
        status: v.status,
        linha_digitavel: v.linha_digitavel,
        barcode: v.barcode,
        pix_copia_e_cola: v.pix_copia_e_cola,
        pdf_url: null,
        payment_url: null,
      });
    });
  }

  invoicePdf(invoiceId: string, opts: { customerId?: string }): Promise<Result<Uint8Array>> {
    return this.#call("invoice_pdf", `invoices/${invoiceId}/pdf`, async () => {
      const rows = await this.#db.select({ i: erpSandboxInvoices, c: erpSandboxCustomers }).from(
        erpSandboxInvoices,
      )
        .innerJoin(
          erpSandboxCustomers,
          and(
            eq(erpSandboxCustomers.tenantId, erpSandboxInvoices.tenantId),
            eq(erpSandboxCustomers.id, erpSandboxInvoices.customerId),
          ),
        )
        .where(and(eq(erpSandboxInvoices.tenantId, this.#t), eq(erpSandboxInvoices.id, invoiceId)));
      const row = rows[0];
      if (!row || (opts.customerId && row.i.customerId !== opts.customerId)) {
        return fail("not_found", `No invoice ${invoiceId} in the ERP`);
      }
      const doc = {
        type: row.c.document.length === 11 ? "cpf" as const : "cnpj" as const,
        value: row.c.document,
      };
      return ok(
        await renderBoletoPdf({
          beneficiary: SANDBOX_ISP.name,
          beneficiaryDocument: formatDocument({ type: "cnpj", value: SANDBOX_ISP.cnpj }),
          payer: row.c.name,
          payerDocument: maskDocument(doc),
          description: row.i.description,
          dueDate: row.i.dueDate,
          amountCents: row.i.amountCents,
          linhaDigitavel: row.i.linhaDigitavel,
          barcode: row.i.barcode,
          pix: row.i.status === "open" ? row.i.pix : null,
          invoiceId: row.i.id,
        }),
      );
    });
  }

  connectionStatus(customerId: string, opts: { contractId?: string }): Promise<Result<ErpConnectionStatus>> {
    return this.#call("connection_status", `customers/${customerId}/connections`, async () => {
      const found = await this.#customer(customerId);
      if (!found) return fail("not_found", `No customer ${customerId} in the ERP`);
      const today = this.#today;
      let contracts = found.contracts;
      if (opts.contractId) {
        contracts = contracts.filter((c) => c.id === opts.contractId);
        if (contracts.length === 0) {
          return fail("not_found", `Contract ${opts.contractId} is not one of customer ${customerId}'s`);
        }
      }
      const connections: ErpConnection[] = contracts.map((c) => {
        const status = effectiveStatus(c, today);
        const online = c.online && status !== "blocked" && status !== "cancelled";
        return {
          contract_id: c.id,
          login: c.login,
          state: online ? "online" : "offline",
          since: c.since.toISOString(),
          ip: online ? c.ip : null,
          mac: c.mac,
          last_authentication_at: c.since.toISOString(),
          equipment: c.equipment,
          blocked: status === "blocked",
          reduced: status === "reduced",
          detail: status === "blocked"
            ? "Bloqueado por inadimplência"
            : status === "cancelled"
            ? "Contrato cancelado"
            : online
            ? null
            : "Sem sessão PPPoE: ONU sem sinal (LOS)",
        };
      });
      return ok({ customer_id: customerId, connections, source: "live" as const });
    });
  }

  createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>> {
    return this.#call("create_ticket", `customers/${input.customerId}/tickets`, async () => {
      const found = await this.#customer(input.customerId);
      if (!found) return fail("not_found", `No customer ${input.customerId} in the ERP`);
      if (input.contractId && !found.contracts.some((c) => c.id === input.contractId)) {
        return fail("not_found", `Contract ${input.contractId} is not one of customer ${input.customerId}'s`);
      }
      const now = this.#s.clock.now();
      const prefix = idPrefix(this.#t);
      const day = localDate(now).replace(/-/g, "");
      for (let tries = 0;; tries++) {
        try {
          const [row] = await this.#s.database.rows<{ id: string }>(sql`
            insert into ${erpSandboxTickets} (tenant_id, id, protocol, customer_id, contract_id, type, subject,
              status, messages, created_at, updated_at)
            select ${this.#t}::uuid, ${prefix} || lpad(n::text, 5, '0'), ${day} || lpad(n::text, 6, '0'),
              ${input.customerId}, ${input.contractId ?? found.contracts[0]?.id ?? null}, ${input.type},
              ${input.subject ?? null}, 'open',
              ${
            JSON.stringify([{
              at: now.toISOString(),
              author: input.contactName ?? found.customer.name,
              text: input.description,
            }])
          }::jsonb, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
            from (select count(*) + 1 + ${tries} as n from ${erpSandboxTickets} where tenant_id = ${this.#t}) seq
            returning id`);
          const [t] = await this.#db.select().from(erpSandboxTickets)
            .where(and(eq(erpSandboxTickets.tenantId, this.#t), eq(erpSandboxTickets.id, row.id)));
          return ok(ticketView(t));
        } catch (err) {
          if (!isUniqueViolation(err) || tries >= 5) throw err;
        }
      }
    });
  }

  tickets(customerId: string, opts: { status?: TicketStatus | "open_any" }): Promise<Result<ErpTicket[]>> {
    return this.#call("tickets", `customers/${customerId}/tickets`, async () => {
      const rows = await this.#db.select({ c: erpSandboxCustomers.id, t: erpSandboxTickets }).from(
        erpSandboxCustomers,
      )
        .leftJoin(erpSandboxTickets, ofCustomer(erpSandboxTickets))
        .where(this.#customerIs(customerId))
        .orderBy(sql`${erpSandboxTickets.createdAt} desc nulls last`);
      if (rows.length === 0) return fail("not_found", `No customer ${customerId} in the ERP`);
      const open = new Set<TicketStatus>(["open", "in_progress", "pending"]);
      return ok(
        rows.flatMap((r) => (r.t ? [ticketView(r.t)] : [])).filter((t) =>
          !opts.status || (opts.status === "open_any" ? open.has(t.status) : t.status === opts.status)
        ),
      );
    });
  }

  updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    return this.#call("update_ticket", `tickets/${ticketId}`, async () => {
      const now = this.#s.clock.now().toISOString();
      const message = input.message
        ? JSON.stringify([{ at: now, author: "PyTake", text: input.message }])
        : "[]";
      const [row] = await this.#db.update(erpSandboxTickets).set({
        messages: sql`${erpSandboxTickets.messages} || ${message}::jsonb`,
        status: input.close
          ? "closed"
          : sql`case when ${erpSandboxTickets.status} = 'open' and ${
            input.message ? 1 : 0
          } = 1 then 'in_progress' else ${erpSandboxTickets.status} end`,
        updatedAt: new Date(now),
      }).where(and(
        eq(erpSandboxTickets.tenantId, this.#t),
        eq(erpSandboxTickets.id, ticketId),
        input.customerId ? eq(erpSandboxTickets.customerId, input.customerId) : undefined,
        sql`${erpSandboxTickets.status} not in ('closed', 'cancelled')`,
      )).returning();
      if (row) return ok(ticketView(row));
      const [exists] = await this.#db.select({
        status: erpSandboxTickets.status,
        customerId: erpSandboxTickets.customerId,
      })
        .from(erpSandboxTickets).where(
          and(eq(erpSandboxTickets.tenantId, this.#t), eq(erpSandboxTickets.id, ticketId)),
        );
      if (!exists || (input.customerId && exists.customerId !== input.customerId)) {
        return fail("not_found", `No ticket ${ticketId} in the ERP`);
      }
      return fail("erp_refused", `Ticket ${ticketId} is ${exists.status}; open a new one`, {
        extensions: { reason: "ticket_closed" },
      });
    });
  }

  plans(): Promise<Result<ErpPlan[]>> {
    return this.#call("plans", "plans", () => Promise.resolve(ok(SANDBOX_PLANS)));
  }

  changePlan(
    customerId: string,
    planId: string,
    opts: { contractId?: string },
  ): Promise<Result<ErpPlanChange>> {
    return this.#call("change_plan", `customers/${customerId}/plan`, async () => {
      const found = await this.#customer(customerId);
      if (!found) return fail("not_found", `No customer ${customerId} in the ERP`);
      const plan = planOf(planId);
      if (!plan || !plan.active) return fail("not_found", `No plan ${planId} on sale in the ERP`);
      const today = this.#today;
      const picked = pickContract(
        customerId,
        found.contracts.map((c) => contractView(c, today)),
        opts.contractId,
        "change",
      );
      if (!picked.ok) return picked as Result<never>;
      const contract = picked.value;
      if (contract.status === "blocked") {
        return fail(
          "erp_refused",
          "The contract is blocked for debt; settle the overdue invoices before changing plans",
          {
            extensions: { reason: "blocked" },
          },
        );
      }
      if (contract.status === "cancelled") {
        return fail("erp_refused", "The contract is cancelled", { extensions: { reason: "cancelled" } });
      }
      if (contract.plan.id === planId) {
        return fail("erp_refused", `The contract is already on ${plan.name}`, {
          extensions: { reason: "same_plan" },
        });
      }
      await this.#db.update(erpSandboxContracts).set({ planId })
        .where(and(eq(erpSandboxContracts.tenantId, this.#t), eq(erpSandboxContracts.id, contract.id)));
      return ok({
        customer_id: customerId,
        contract_id: contract.id,
        plan_id: planId,
        message: `Plano alterado para ${plan.name} a partir da próxima fatura`,
      });
    });
  }

  unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>> {
    return this.#call("unblock", `customers/${customerId}/unblock`, async () => {
      const found = await this.#customer(customerId);
      if (!found) return fail("not_found", `No customer ${customerId} in the ERP`);
      const today = this.#today;
      const views = found.contracts.map((c) => contractView(c, today));
      const picked = pickContract(
        customerId,
        views,
        opts.contractId,
        "unlock",
        (c) => c.status === "blocked",
        () =>
          fail("erp_refused", `Customer ${customerId} has no blocked contract: there is nothing to unlock`, {
            extensions: { reason: "not_blocked" },
          }),
      );
      if (!picked.ok) return picked as Result<never>;
      if (picked.value.status !== "blocked") {
        return fail("erp_refused", `Contract ${picked.value.id} is not blocked`, {
          extensions: { reason: "not_blocked" },
        });
      }
      const now = this.#s.clock.now();
      const until = localDate(new Date(now.getTime() + opts.days * 86_400_000));
      const cutoff = new Date(now.getTime() - UNLOCK_PERIOD_DAYS * 86_400_000);
      const [row] = await this.#db.update(erpSandboxContracts).set({
        unlockedAt: now,
        unlockedUntil: until,
        online: true,
        since: now,
        // Back online through the provider's CGNAT pool.
        ip:
          sql`coalesce(${erpSandboxContracts.ip}, '100.64.' || (random() * 250)::int || '.' || (random() * 250 + 2)::int)`,
      }).where(and(
        eq(erpSandboxContracts.tenantId, this.#t),
        eq(erpSandboxContracts.id, picked.value.id),
        sql`(${erpSandboxContracts.unlockedAt} is null or ${erpSandboxContracts.unlockedAt} < ${cutoff.toISOString()}::timestamptz)`,
      )).returning({ id: erpSandboxContracts.id });
      if (!row) {
        return fail(
          "erp_refused",
          `The trust unlock of this contract was already used in the last ${UNLOCK_PERIOD_DAYS} days; it is available again after the overdue invoices are paid`,
          { extensions: { reason: "already_used" } },
        );
      }
      return ok({
        customer_id: customerId,
        contract_id: picked.value.id,
        until,
        protocol: `${localDate(now).replace(/-/g, "")}${picked.value.id.slice(-6)}`,
        message: `Desbloqueio em confiança realizado até ${until.split("-").reverse().join("/")}`,
      });
    });
  }

  listCustomers(cursor: string | null): Promise<Result<CustomerPage>> {
    return this.#call("list_customers", `customers?after=${cursor ?? ""}`, async () => {
      const today = this.#today;
      const customers = await this.#db.select().from(erpSandboxCustomers)
        .where(and(
          eq(erpSandboxCustomers.tenantId, this.#t),
          cursor ? sql`${erpSandboxCustomers.id} > ${cursor}` : undefined,
        ))
        .orderBy(erpSandboxCustomers.id).limit(PAGE);
      if (customers.length === 0) return ok({ customers: [], next: null, total: null });
      const ids = customers.map((c) => c.id);
      const [contracts, overdue, total] = await Promise.all([
        this.#db.select().from(erpSandboxContracts).where(and(
          eq(erpSandboxContracts.tenantId, this.#t),
          sql`${erpSandboxContracts.customerId} in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`,
        )),
        this.#db.selectDistinct({ id: erpSandboxInvoices.customerId }).from(erpSandboxInvoices).where(and(
          eq(erpSandboxInvoices.tenantId, this.#t),
          eq(erpSandboxInvoices.status, "open"),
          sql`${erpSandboxInvoices.dueDate} < ${today}`,
          sql`${erpSandboxInvoices.customerId} in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`,
        )),
        cursor
          ? Promise.resolve(null)
          : this.#db.$count(erpSandboxCustomers, eq(erpSandboxCustomers.tenantId, this.#t)),
      ]);
      const late = new Set(overdue.map((o) => o.id));
      return ok({
        customers: customers.map((c) => ({
          ...customerView(c, contracts.filter((k) => k.customerId === c.id), today),
          overdue: late.has(c.id),
        })),
        next: customers.length === PAGE ? customers[customers.length - 1].id : null,
        total,
      });
    });
  }
}

/** What the sandbox does when told (by its webhook) that an invoice was paid: what the ERP would. */
export async function markSandboxInvoicePaid(
  s: Services,
  tenantId: string,
  invoiceId: string,
  at: Date,
): Promise<boolean> {
  const rows = await s.database.db.update(erpSandboxInvoices).set({ status: "paid", paidAt: at })
    .where(and(
      eq(erpSandboxInvoices.tenantId, tenantId),
      eq(erpSandboxInvoices.id, invoiceId),
      eq(erpSandboxInvoices.status, "open"),
    )).returning({ id: erpSandboxInvoices.id });
  return rows.length > 0;
}
