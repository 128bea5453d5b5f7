import { z } from "@hono/zod-openapi";
import { erpCallOutcomes } from "../../db/schema/index.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";
import {
  connectionStates,
  customerStatuses,
  erpTypes,
  invoiceStatuses,
  ticketStatuses,
  ticketTypes,
} from "../../src/erp/model.ts";
import { SettingsPatchSchema, SettingsSchema } from "../../src/erp/settings.ts";

export const TAG = "ERP integrations";

const erpTypeDoc = `\`${erpTypes.join("`, `")}\`; anything else is a 404 listing them.`;

export const ErpTypeParam = z.object({
  erp_type: z.string().max(32).openapi({
    param: { name: "erp_type", in: "path" },
    description: `The ERP: ${erpTypeDoc}`,
    example: "sandbox",
  }),
});

/** An id as the ERP writes it (numeric text mostly), not one of ours. */
export const ErpId = z.string().trim().min(1).max(64).regex(/^[\w.:-]+$/, "Letters, digits and . _ : - only");

export const ErpIdParam = ErpTypeParam.extend({
  id: ErpId.openapi({ param: { name: "id", in: "path" }, example: "5612520004" }),
});

const Money = z.number().int().openapi({ description: "In cents (BRL).", example: 11990 });
const Day = z.string().openapi({ format: "date", example: "2026-12-10" });

const PlanRef = z.object({
  id: z.string().nullable(),
  name: z.string().nullable(),
  download_mbps: z.number().nullable(),
  upload_mbps: z.number().nullable(),
  price_cents: z.number().int().nullable(),
}).openapi("ErpPlanRef");

export const CustomerSchema = z.object({
  id: z.string().openapi({
    description: "The ERP's key for the customer: what `customer_id` takes.",
    example: "5612520004",
  }),
  document: z.string().openapi({ example: "20956041566" }),
  document_type: z.enum(["cpf", "cnpj"]),
  name: z.string(),
  email: z.string().nullable(),
  phones: z.array(z.string()).openapi({ example: ["+5519975834660"] }),
  address: z.object({
    street: z.string().nullable(),
    number: z.string().nullable(),
    complement: z.string().nullable(),
    district: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    zip: z.string().nullable(),
  }).nullable(),
  status: z.enum(customerStatuses),
  contracts: z.array(z.object({
    id: z.string().openapi({
      description: "What `contract_id` takes (IXC contrato, SGP contrato, MK conexão, HubSoft serviço).",
    }),
    status: z.enum(customerStatuses),
    plan: PlanRef,
    login: z.string().nullable(),
  })),
  alerts: z.array(z.string()).openapi({
    description: "Notices the provider set for bots (HubSoft outage alerts).",
  }),
}).openapi("ErpCustomer");

export const InvoiceSchema = z.object({
  id: z.string(),
  customer_id: z.string(),
  contract_id: z.string().nullable(),
  description: z.string().nullable(),
  due_date: Day,
  amount_cents: Money,
  status: z.enum(invoiceStatuses),
  paid_at: Timestamp.nullable(),
  linha_digitavel: z.string().nullable(),
  barcode: z.string().nullable(),
  pix_copia_e_cola: z.string().nullable(),
  pdf_url: z.string().nullable().openapi({
    description:
      "The boleto's PDF: the ERP's link, or a signed link of ours (3 days) where the ERP gives bytes.",
  }),
  payment_url: z.string().nullable(),
}).openapi("ErpInvoice");

export const SegundaViaSchema = z.object({
  invoice_id: z.string(),
  customer_id: z.string().nullable(),
  due_date: Day,
  amount_cents: Money,
  status: z.enum(invoiceStatuses),
  linha_digitavel: z.string().nullable(),
  barcode: z.string().nullable(),
  pix_copia_e_cola: z.string().nullable(),
  pdf_url: z.string().nullable(),
  payment_url: z.string().nullable(),
}).openapi("ErpSegundaVia");

export const ConnectionStatusSchema = z.object({
  customer_id: z.string(),
  source: z.enum(["live", "accounting", "none"]).openapi({
    description:
      "`live`: the ERP's live flag; `accounting`: the last RADIUS record (may be stale); `none`: no online flag (MK).",
  }),
  connections: z.array(z.object({
    contract_id: z.string().nullable(),
    login: z.string().nullable(),
    state: z.enum(connectionStates),
    since: Timestamp.nullable(),
    ip: z.string().nullable(),
    mac: z.string().nullable(),
    last_authentication_at: Timestamp.nullable(),
    equipment: z.string().nullable(),
    blocked: z.boolean().nullable(),
    reduced: z.boolean().nullable(),
    detail: z.string().nullable(),
  })),
}).openapi("ErpConnectionStatus");

export const TicketSchema = z.object({
  id: z.string(),
  protocol: z.string().nullable(),
  customer_id: z.string().nullable(),
  contract_id: z.string().nullable(),
  type: z.enum(ticketTypes).nullable(),
  subject: z.string().nullable(),
  status: z.enum(ticketStatuses),
  messages: z.array(z.object({ at: Timestamp.nullable(), author: z.string().nullable(), text: z.string() })),
  created_at: Timestamp.nullable(),
  updated_at: Timestamp.nullable(),
}).openapi("ErpTicket");

export const PlanSchema = z.object({
  id: z.string(),
  name: z.string(),
  download_mbps: z.number().nullable(),
  upload_mbps: z.number().nullable(),
  price_cents: z.number().int().nullable(),
  technology: z.string().nullable(),
  active: z.boolean(),
}).openapi("ErpPlan");

const Check = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });

export const ConnectionSchema = z.object({
  id: z.uuid(),
  erp_type: z.enum(erpTypes),
  name: z.string(),
  connected: z.boolean(),
  status: z.enum(["connected", "error", "disconnected"]),
  api_url: z.string().nullable(),
  credentials: z.record(z.string(), z.string().nullable()).openapi({
    description: "Masked; names (SGP app, HubSoft user and client id) shown as they are.",
    example: { api_key: "12:a…9f3c" },
  }),
  settings: SettingsSchema,
  webhook_url: z.string().openapi({ description: "Where the ERP's automations send events." }),
  webhook_secret: z.string().optional().openapi({
    description: "Shown once, when issued: the ERP sends it as `X-Webhook-Secret` (or `?secret=`).",
  }),
  capabilities: z.record(z.string(), z.union([z.literal(true), z.string()])).optional().openapi({
    description:
      "Each operation: `true`, or what to do instead where the ERP has no such call (those answer 501).",
    example: {
      find_customers: true,
      change_plan: "IXC has no plan-change call; open a ticket of type `plan_change`…",
    },
  }),
  circuit_state: z.enum(["closed", "open", "half_open"]).optional(),
  checks: z.array(Check).optional(),
  remote_info: z.record(z.string(), z.unknown()).nullable(),
  last_error: z.string().nullable(),
  last_checked_at: Timestamp.nullable(),
  connected_at: Timestamp.nullable(),
  disconnected_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("ErpConnection");

export const NotConnectedSchema = z.object({
  erp_type: z.enum(erpTypes),
  name: z.string(),
  connected: z.literal(false),
  status: z.literal("not_connected"),
}).openapi("ErpNotConnected");

export const ConnectBody = z.object({
  api_url: z.url({ protocol: /^https?$/ }).max(500).optional().openapi({
    description: "The ERP's address. Not used by `sandbox`.",
    example: "https://erp.provedor.com.br",
  }),
  api_key: z.string().trim().min(1).max(1024).optional().openapi({
    description:
      "IXC: the token `id:hash` (or the id, with the hash in api_secret). SGP: the token. MK: the user token. HubSoft: the client_id, when client_id is not given.",
  }),
  api_secret: z.string().trim().min(1).max(1024).optional().openapi({
    description:
      "IXC: the hash. MK: the webservice profile's contra-senha. HubSoft: the client_secret, when not given.",
  }),
  app: z.string().trim().min(1).max(200).optional().openapi({
    description: "SGP: the application name of the token (case-sensitive).",
  }),
  client_id: z.string().trim().min(1).max(200).optional().openapi({
    description: "HubSoft OAuth client_id.",
  }),
  client_secret: z.string().trim().min(1).max(1024).optional().openapi({
    description: "HubSoft OAuth client_secret.",
  }),
  username: z.string().trim().min(1).max(320).optional().openapi({
    description: "HubSoft: the user's e-mail.",
  }),
  password: z.string().min(1).max(1024).optional().openapi({ description: "HubSoft: the user's password." }),
  settings: SettingsPatchSchema.omit({ rotate_webhook_secret: true }).optional(),
}).openapi("ErpConnect");

export const TestSchema = z.object({
  ok: z.boolean(),
  erp_type: z.enum(erpTypes),
  latency_ms: z.number().int(),
  checks: z.array(Check),
  error: z.object({ code: z.string(), detail: z.string() }).nullable(),
  checked_at: Timestamp,
}).openapi("ErpTest");

export const SettingsResponse = SettingsSchema.extend({
  webhook_secret: z.string().optional().openapi({
    description: "The new secret, after `rotate_webhook_secret`; shown once.",
  }),
}).openapi("ErpSettings");

export const LogSchema = z.object({
  id: z.uuid(),
  operation: z.string().openapi({ example: "find_customers" }),
  method: z.string().openapi({ example: "POST" }),
  endpoint: z.string().openapi({
    description: "Path and query, credentials replaced by [redacted], CPFs masked.",
    example: "/webservice/v1/cliente",
  }),
  outcome: z.enum(erpCallOutcomes),
  http_status: z.number().int().nullable(),
  latency_ms: z.number().int(),
  attempt: z.number().int(),
  error: z.string().nullable(),
  request_id: z.string().nullable(),
  created_at: Timestamp,
}).openapi("ErpCallLog");

export const MetricsSchema = z.object({
  window: z.object({ from: Timestamp, to: Timestamp }),
  erps: z.array(z.object({
    erp_type: z.enum(erpTypes),
    connected: z.boolean(),
    calls: z.number().int(),
    errors: z.number().int(),
    timeouts: z.number().int(),
    error_rate: z.number(),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
    cache: z.object({ hits: z.number().int(), lookups: z.number().int(), hit_rate: z.number().nullable() }),
    circuit: z.object({ state: z.enum(["closed", "open", "half_open"]), refused_calls: z.number().int() }),
    last_call_at: Timestamp.nullable(),
    last_error: z.string().nullable(),
  })),
}).openapi("ErpMetrics");

export const SyncSchema = z.object({
  id: z.uuid(),
  erp_type: z.enum(erpTypes),
  mode: z.enum(["full", "documents"]),
  status: z.enum(["queued", "running", "completed", "failed"]),
  total: z.number().int().nullable(),
  processed: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.number().int(),
  progress: z.number().nullable(),
  report: z.array(z.record(z.string(), z.unknown())).openapi({
    description: "Customers not synced and why (document masked), at most 500.",
  }),
  error: z.string().nullable(),
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  reused: z.boolean().optional().openapi({
    description: "A sync of this ERP was already running: this is it.",
  }),
}).openapi("ErpSync");

export const MessageRefSchema = z.record(z.string(), z.unknown()).openapi("ErpSentMessage");
