import { z } from "@hono/zod-openapi";
import { invoiceStatuses, ticketTypes } from "./model.ts";

/**
 * A connection's settings, with their defaults: how patient to be with the ERP, what to cache,
 * the unlock policy, and the provider-specific ids tickets need (never hard-coded: each ISP
 * configures its own subjects, departments and branches, reference §1.6).
 */

const ErpId = z.string().trim().min(1).max(64);

/**
 * The ERP's id per ticket type: an object of the known types, each optional, so an unknown type
 * is refused and named like any unknown field (a record keyed by an enum is not strict in OpenAPI).
 */
function ticketTypeIds<T extends z.ZodType>(id: T) {
  return z.object(
    Object.fromEntries(ticketTypes.map((t) => [t, id.optional()])) as Record<
      typeof ticketTypes[number],
      z.ZodOptional<T>
    >,
  ).strict();
}

export const TicketDefaultsSchema = z.object({
  /** IXC `id_ticket_setor`; SGP `setor`. */
  department_id: ErpId.optional(),
  /** IXC `id_filial`. */
  branch_id: ErpId.optional(),
  /** MK `cd_processo`. */
  process_id: ErpId.optional(),
  /** MK `origem_contato` (9 = WhatsApp in MK's own installs). */
  origin: ErpId.optional(),
}).strict();

export const SettingsSchema = z.object({
  timeout_ms: z.number().int().min(100).max(30_000).openapi({
    description: "How long one ERP call may take before it is a 504 `erp_timeout`.",
    example: 8000,
  }),
  retries: z.number().int().min(0).max(3).openapi({
    description:
      "Extra attempts for reads that failed fast (network, 502/503/504). Writes are never retried.",
    example: 2,
  }),
  cache_ttl_seconds: z.object({
    customers: z.number().int().min(0).max(3600).openapi({ example: 60 }),
    plans: z.number().int().min(0).max(86_400).openapi({ example: 600 }),
  }).strict(),
  circuit: z.object({
    failure_threshold: z.number().int().min(1).max(100).openapi({
      description: "Failures (timeouts, 5xx, unreadable answers) within a minute that open the circuit.",
      example: 5,
    }),
    cooldown_seconds: z.number().int().min(1).max(3600).openapi({
      description: "How long the circuit stays open before one probe call is let through.",
      example: 30,
    }),
  }).strict(),
  unlock: z.object({
    enabled: z.boolean(),
    days: z.number().int().min(1).max(15).openapi({
      description: "Days of service a trust unlock gives (where the ERP takes it).",
      example: 3,
    }),
    once_per_days: z.number().int().min(0).max(365).openapi({
      description:
        "Our own rule on top of the ERP's: one unlock per customer in this many days (0: only the ERP's rule).",
      example: 30,
    }),
  }).strict(),
  open_invoice_statuses: z.array(z.enum(invoiceStatuses)).min(1).max(4).openapi({
    description: "What `GET invoices` (status=open, the default) returns.",
    example: ["open", "overdue"],
  }),
  ticket_types: ticketTypeIds(ErpId).openapi({
    description:
      "The ERP's id for each ticket type: IXC `id_assunto`, SGP `ocorrenciatipo`, MK `cd_classificacao_ate`, HubSoft `id_tipo_atendimento`.",
    example: { technical: "12", financial: "7" },
  }),
  ticket_defaults: TicketDefaultsSchema,
}).strict();

export type ErpSettings = z.infer<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: ErpSettings = {
  timeout_ms: 8000,
  retries: 2,
  cache_ttl_seconds: { customers: 60, plans: 600 },
  circuit: { failure_threshold: 5, cooldown_seconds: 30 },
  unlock: { enabled: true, days: 3, once_per_days: 30 },
  open_invoice_statuses: ["open", "overdue"],
  ticket_types: {},
  ticket_defaults: {},
};

/** Stored settings over the defaults, so a setting added later has its default for old rows. */
export function effectiveSettings(stored: Record<string, unknown> | null | undefined): ErpSettings {
  const s = (stored ?? {}) as Partial<ErpSettings>;
  return {
    ...DEFAULT_SETTINGS,
    ...s,
    cache_ttl_seconds: { ...DEFAULT_SETTINGS.cache_ttl_seconds, ...s.cache_ttl_seconds },
    circuit: { ...DEFAULT_SETTINGS.circuit, ...s.circuit },
    unlock: { ...DEFAULT_SETTINGS.unlock, ...s.unlock },
    ticket_types: { ...s.ticket_types },
    ticket_defaults: { ...s.ticket_defaults },
  };
}

/** A PUT body: every member optional, nested objects merged into what is stored. */
export const SettingsPatchSchema = z.object({
  timeout_ms: SettingsSchema.shape.timeout_ms.optional(),
  retries: SettingsSchema.shape.retries.optional(),
  cache_ttl_seconds: SettingsSchema.shape.cache_ttl_seconds.partial().strict().optional(),
  circuit: SettingsSchema.shape.circuit.partial().strict().optional(),
  unlock: SettingsSchema.shape.unlock.partial().strict().optional(),
  open_invoice_statuses: SettingsSchema.shape.open_invoice_statuses.optional(),
  ticket_types: ticketTypeIds(ErpId.nullable()).optional().openapi({
    description: "Ids to set; `null` removes one.",
    example: { technical: "12" },
  }),
  ticket_defaults: TicketDefaultsSchema.partial().optional(),
  rotate_webhook_secret: z.boolean().optional().openapi({
    description: "Issue a new webhook secret (shown once in this answer); the old one stops working.",
  }),
}).strict();

export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export function applyPatch(current: ErpSettings, patch: SettingsPatch): ErpSettings {
  const ticketTypesNext: Record<string, string> = { ...current.ticket_types };
  for (const [k, v] of Object.entries(patch.ticket_types ?? {})) {
    if (v === null) delete ticketTypesNext[k];
    else ticketTypesNext[k] = v;
  }
  return {
    timeout_ms: patch.timeout_ms ?? current.timeout_ms,
    retries: patch.retries ?? current.retries,
    cache_ttl_seconds: { ...current.cache_ttl_seconds, ...patch.cache_ttl_seconds },
    circuit: { ...current.circuit, ...patch.circuit },
    unlock: { ...current.unlock, ...patch.unlock },
    open_invoice_statuses: patch.open_invoice_statuses ?? current.open_invoice_statuses,
    ticket_types: ticketTypesNext,
    ticket_defaults: { ...current.ticket_defaults, ...patch.ticket_defaults },
  };
}
