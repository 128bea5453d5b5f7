import type { DocumentType } from "../core/br-documents.ts";

/**
 * The one model every ERP adapter answers in (snake_case, as it goes on the wire). Each ERP
 * names and shapes these differently (shared/reference/isp-erps.md §0); the adapters translate
 * and nothing above them knows which ERP spoke.
 */

export const erpTypes = ["ixc", "sgp", "mk", "hubsoft", "sandbox"] as const;
export type ErpType = typeof erpTypes[number];
export const isErpType = (v: string): v is ErpType => (erpTypes as readonly string[]).includes(v);

export const erpNames: Record<ErpType, string> = {
  ixc: "IXCSoft (IXC Provedor)",
  sgp: "SGP (TSMX)",
  mk: "MK Solutions (MK30)",
  hubsoft: "HubSoft",
  sandbox: "Sandbox ISP",
};

/** active: online service; blocked: cut for debt or by hand; reduced: speed cut; cancelled. */
export const customerStatuses = ["active", "blocked", "reduced", "cancelled"] as const;
export type CustomerStatus = typeof customerStatuses[number];

export interface ErpPlanRef {
  id: string | null;
  name: string | null;
  download_mbps: number | null;
  upload_mbps: number | null;
  price_cents: number | null;
}

export interface ErpContract {
  /** What contract-level calls take (IXC contrato, SGP contrato, MK conexão, HubSoft serviço). */
  id: string;
  status: CustomerStatus;
  plan: ErpPlanRef;
  /** PPPoE / RADIUS login. */
  login: string | null;
}

export interface ErpAddress {
  street: string | null;
  number: string | null;
  complement: string | null;
  district: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
}

export interface ErpCustomer {
  /** The ERP's key for the customer: what `/customers/{id}/…` and `customer_id` take. */
  id: string;
  document: string;
  document_type: DocumentType;
  name: string;
  email: string | null;
  /** E.164 where the ERP's number is a valid phone, else as the ERP wrote it. */
  phones: string[];
  address: ErpAddress | null;
  /** The worst status of its contracts (blocked beats reduced beats active). */
  status: CustomerStatus;
  contracts: ErpContract[];
  /** Notices the provider set for bots to read out (HubSoft outage alerts). */
  alerts: string[];
}

export const invoiceStatuses = ["open", "overdue", "paid", "cancelled"] as const;
export type InvoiceStatus = typeof invoiceStatuses[number];

export interface ErpInvoice {
  id: string;
  customer_id: string;
  contract_id: string | null;
  description: string | null;
  /** YYYY-MM-DD. */
  due_date: string;
  amount_cents: number;
  status: InvoiceStatus;
  paid_at: string | null;
  linha_digitavel: string | null;
  barcode: string | null;
  pix_copia_e_cola: string | null;
  pdf_url: string | null;
  /** A payment page of the provider's gateway, where the ERP has one. */
  payment_url: string | null;
}

/** The segunda via: what a customer needs to pay an invoice today. */
export interface ErpSegundaVia {
  invoice_id: string;
  customer_id: string | null;
  due_date: string;
  amount_cents: number;
  status: InvoiceStatus;
  linha_digitavel: string | null;
  barcode: string | null;
  pix_copia_e_cola: string | null;
  pdf_url: string | null;
  payment_url: string | null;
}

export const connectionStates = ["online", "offline", "unknown"] as const;
export type ConnectionState = typeof connectionStates[number];

export interface ErpConnection {
  contract_id: string | null;
  login: string | null;
  /** `unknown` where the ERP has no live flag (MK) or says so (IXC "SS"). */
  state: ConnectionState;
  /** Since when it is in that state, when the ERP says (ISO 8601). */
  since: string | null;
  ip: string | null;
  mac: string | null;
  /** Last RADIUS authentication (ISO 8601). */
  last_authentication_at: string | null;
  /** Concentrator / NAS / ONU, as the ERP names it. */
  equipment: string | null;
  blocked: boolean | null;
  reduced: boolean | null;
  /** Why the ERP says it is down or blocked, in its words. */
  detail: string | null;
}

export interface ErpConnectionStatus {
  customer_id: string;
  connections: ErpConnection[];
  /** How fresh the answer is: `live` (a probe), `accounting` (last RADIUS record), `none`. */
  source: "live" | "accounting" | "none";
}

export const ticketTypes = [
  "technical",
  "financial",
  "commercial",
  "installation",
  "cancellation",
  "plan_change",
  "other",
] as const;
export type TicketType = typeof ticketTypes[number];

export const ticketStatuses = ["open", "in_progress", "pending", "resolved", "closed", "cancelled"] as const;
export type TicketStatus = typeof ticketStatuses[number];

export interface ErpTicketMessage {
  at: string | null;
  author: string | null;
  text: string;
}

export interface ErpTicket {
  id: string;
  protocol: string | null;
  customer_id: string | null;
  contract_id: string | null;
  type: TicketType | null;
  subject: string | null;
  status: TicketStatus;
  messages: ErpTicketMessage[];
  created_at: string | null;
  updated_at: string | null;
}

export interface ErpPlan {
  id: string;
  name: string;
  download_mbps: number | null;
  upload_mbps: number | null;
  price_cents: number | null;
  technology: string | null;
  active: boolean;
}

export interface ErpUnlock {
  customer_id: string;
  contract_id: string;
  /** The day the service is released until (YYYY-MM-DD), when the ERP says. */
  until: string | null;
  protocol: string | null;
  message: string | null;
}

export interface ErpPlanChange {
  customer_id: string;
  contract_id: string;
  plan_id: string;
  message: string | null;
}

/** The worst of several statuses, for a customer made of contracts. */
export function worstStatus(statuses: CustomerStatus[]): CustomerStatus {
  for (const s of ["blocked", "reduced", "active"] as const) if (statuses.includes(s)) return s;
  return statuses.length ? "cancelled" : "active";
}
