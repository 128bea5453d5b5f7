import type { Result } from "../core/result.ts";
import type { TaxDocument } from "../core/br-documents.ts";
import type {
  ErpConnectionStatus,
  ErpCustomer,
  ErpInvoice,
  ErpPlan,
  ErpPlanChange,
  ErpSegundaVia,
  ErpTicket,
  ErpType,
  ErpUnlock,
  TicketStatus,
  TicketType,
} from "./model.ts";

/**
 * The ERP port: what PyTake asks of an ISP's ERP, in the normalised model. One adapter per ERP
 * speaks its real protocol (src/erp/adapters/); `erpFor` (src/erp/erp-service.ts) wraps an
 * adapter with the outbound guard, timeouts, read retries, the circuit breaker, the cache and the
 * call log. Expected failures are values (`Result`): `not_found`, `erp_refused` (the ERP said no:
 * an unlock already used), `erp_error` (it failed, with its message), `erp_timeout`,
 * `erp_unavailable` (circuit open), `erp_unsupported` (the ERP has no such call; the detail says
 * what to do instead), `erp_contract_required` (several contracts and none named).
 */

export const operations = [
  "test",
  "find_customers",
  "invoices",
  "segunda_via",
  "invoice_pdf",
  "connection_status",
  "create_ticket",
  "tickets",
  "update_ticket",
  "plans",
  "change_plan",
  "unblock",
  "list_customers",
] as const;
export type Operation = typeof operations[number];

/** Which invoices a list asks for; `open` means the statuses the connection counts as open. */
export type InvoiceFilter = "open" | "paid" | "all";

export interface TestCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CreateTicketInput {
  customerId: string;
  contractId?: string;
  type: TicketType;
  subject?: string;
  description: string;
  contactName?: string;
  /** E.164. */
  contactPhone?: string;
  /** Kept with the ticket where the ERP stores free data (HubSoft `parametros`). */
  conversationId?: string;
}

export interface UpdateTicketInput {
  customerId?: string;
  message?: string;
  close?: boolean;
}

/** One page of a full customer listing (sync). `overdue`: has an invoice past due, where known. */
export interface CustomerPage {
  customers: (ErpCustomer & { overdue: boolean | null })[];
  next: string | null;
  total: number | null;
}

export interface ErpClient {
  readonly type: ErpType;
  /** Operations this ERP has no call for, each with what to do instead (answered as 501). */
  readonly unsupported: Partial<Record<Operation, string>>;
  test(): Promise<Result<TestCheck[]>>;
  findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>>;
  invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>>;
  segundaVia(invoiceId: string, opts: { customerId?: string }): Promise<Result<ErpSegundaVia>>;
  /** The boleto's PDF, for ERPs that give bytes instead of a link (IXC, the sandbox). */
  invoicePdf(invoiceId: string, opts: { customerId?: string }): Promise<Result<Uint8Array>>;
  connectionStatus(customerId: string, opts: { contractId?: string }): Promise<Result<ErpConnectionStatus>>;
  createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>>;
  tickets(customerId: string, opts: { status?: TicketStatus | "open_any" }): Promise<Result<ErpTicket[]>>;
  updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>>;
  plans(): Promise<Result<ErpPlan[]>>;
  changePlan(
    customerId: string,
    planId: string,
    opts: { contractId?: string },
  ): Promise<Result<ErpPlanChange>>;
  unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>>;
  listCustomers(cursor: string | null): Promise<Result<CustomerPage>>;
}

/** What every connection's credential box may hold; each ERP uses its own few. */
export interface ErpCredentials {
  /** IXC token (`id:hash`, or the id with the hash in `api_secret`); SGP token; MK user token. */
  api_key?: string;
  /** IXC hash; MK contra-senha. */
  api_secret?: string;
  /** SGP: the application name registered with the token (case-sensitive). */
  app?: string;
  /** HubSoft: the OAuth password grant. */
  client_id?: string;
  client_secret?: string;
  username?: string;
  password?: string;
}
