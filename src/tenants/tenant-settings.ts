import { z } from "@hono/zod-openapi";

/** IANA zone names the runtime knows (`America/Sao_Paulo`, `America/Manaus`, `UTC`, …). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour clock");
const day = z.object({ open: hhmm, close: hhmm }).nullable().openapi({
  description: "Opening hours that day; null when closed.",
});

/** What a tenant may set about itself; unknown keys are refused so typos do not pass silently. */
export const TenantSettingsSchema = z.object({
  timezone: z.string().refine(isTimeZone, "Unknown IANA time zone").openapi({ example: "America/Sao_Paulo" }),
  language: z.enum(["pt-BR", "en", "es"]).openapi({ example: "pt-BR" }),
  currency: z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code").openapi({ example: "BRL" }),
  business_hours: z.object({
    mon: day,
    tue: day,
    wed: day,
    thu: day,
    fri: day,
    sat: day,
    sun: day,
  }).partial().openapi({ example: { mon: { open: "08:00", close: "18:00" }, sun: null } }),
  welcome_message: z.string().max(1024),
  away_message: z.string().max(1024),
  sla_first_response_minutes: z.number().int().min(1).max(1440).openapi({
    description:
      "How long a customer may wait for a first answer before the dashboard flags it (default 15).",
    example: 15,
  }),
  agent_capacity: z.number().int().min(1).max(100).openapi({
    description: "Conversations an agent handles at once, for the dashboard's capacity figures (default 5).",
    example: 5,
  }),
  alert_failed_rate_percent: z.number().int().min(1).max(100).openapi({
    description: "Share of failed outbound messages in the last hour that raises an alert (default 10).",
    example: 10,
  }),
}).partial().strict().openapi("TenantSettings");

/** The operational thresholds, with their defaults. */
export function operationalSettings(settings: Record<string, unknown> | null | undefined) {
  const n = (k: string, d: number) => (typeof settings?.[k] === "number" ? settings[k] as number : d);
  return {
    slaFirstResponseMinutes: n("sla_first_response_minutes", 15),
    agentCapacity: n("agent_capacity", 5),
    alertFailedRatePercent: n("alert_failed_rate_percent", 10),
  };
}

export type TenantSettingsInput = z.infer<typeof TenantSettingsSchema>;

export function defaultTenantSettings(): Record<string, unknown> {
  return { timezone: "America/Sao_Paulo", language: "pt-BR", currency: "BRL" };
}

/** A readable, unique slug: the name folded to ASCII plus a short random tail. */
export function slugFor(name: string): string {
  const base = name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "tenant";
  const tail = crypto.getRandomValues(new Uint8Array(4));
  return `${base}-${Array.from(tail, (b) => (b % 36).toString(36)).join("")}`;
}

export type TenantLanguage = "pt-BR" | "en" | "es";

/** The language documents are written in: the tenant's setting, Portuguese when it has none. */
export function tenantLanguage(settings: unknown): TenantLanguage {
  const l = (settings as { language?: unknown } | null | undefined)?.language;
  return l === "en" || l === "es" ? l : "pt-BR";
}
