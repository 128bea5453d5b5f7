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
}).partial().strict().openapi("TenantSettings");

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
