import { z } from "@hono/zod-openapi";
import { planCodes, tenantStatuses } from "../../db/schema/index.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";
import { TenantSettingsSchema } from "../../src/tenants/tenant-settings.ts";

export const TAG = "Tenants";

export const Plan = z.enum(planCodes).openapi({ example: "growth" });

export const Domain = z.string().trim().toLowerCase().max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "A host name like abc.pytake.net",
  )
  .openapi({ example: "abc.pytake.net" });

export const TenantSchema = z.object({
  id: z.uuid(),
  name: z.string().openapi({ example: "Empresa ABC" }),
  slug: z.string().openapi({ example: "empresa-abc-x7k2" }),
  domain: z.string().nullable(),
  plan: Plan,
  limits: z.object({
    users: z.number().int(),
    whatsapp_numbers: z.number().int(),
    messages_per_month: z.number().int(),
    flows: z.number().int(),
    campaigns: z.number().int(),
    api_requests_per_minute: z.number().int(),
  }).openapi("PlanLimits"),
  status: z.enum(tenantStatuses),
  suspended_reason: z.string().nullable(),
  suspended_at: Timestamp.nullable(),
  deleted_at: Timestamp.nullable(),
  purge_after: Timestamp.nullable().openapi({ description: "When a deleted tenant's data is erased." }),
  settings: z.record(z.string(), z.unknown()),
  usage: z.object({ users: z.number().int() }).optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("Tenant");

export { TenantSettingsSchema };
