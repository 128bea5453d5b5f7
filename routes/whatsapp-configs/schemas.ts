import { z } from "@hono/zod-openapi";
import { Timestamp } from "../../src/http/openapi-schemas.ts";

export const TAG = "WhatsApp numbers";

export const Phone = z.string().trim().min(8).max(20).openapi({ example: "+5511999999999" });

const Common = {
  name: z.string().trim().min(1).max(100).openapi({ example: "WhatsApp Principal" }),
  phone_number: Phone,
  is_default: z.boolean().optional().openapi({
    description: "Send through this number when a request names none.",
  }),
  throughput_per_second: z.number().int().min(1).max(1000).optional().openapi({
    description: "Messages per second (Meta's default is 80).",
    example: 80,
  }),
};

export const CreateConfigBody = z.discriminatedUnion("api_type", [
  z.object({
    api_type: z.literal("official"),
    ...Common,
    phone_number_id: z.string().trim().regex(/^\d{5,30}$/, "Digits, as in Meta's dashboard").openapi({
      example: "106540352242922",
    }),
    business_account_id: z.string().trim().regex(/^\d{5,30}$/).optional().openapi({
      example: "102290129340398",
    }),
    access_token: z.string().trim().min(10).max(1024).openapi({ example: "EAAGm0PX4ZCpsBA…" }),
    app_secret: z.string().trim().min(8).max(256).optional().openapi({
      description: "Verifies X-Hub-Signature-256 of webhooks for this number (else META_APP_SECRET).",
    }),
    verify_token: z.string().trim().min(8).max(256).optional().openapi({
      description: "For Meta's webhook handshake; generated and shown once when omitted.",
    }),
  }).openapi("CreateOfficialNumber"),
  z.object({
    api_type: z.literal("evolution"),
    ...Common,
    instance_name: z.string().trim().min(1).max(100).openapi({ example: "acme-support" }),
    base_url: z.url({ protocol: /^https?$/ }).openapi({ example: "https://evolution.example.com" }),
    api_key: z.string().trim().min(4).max(256).openapi({
      description: "The instance token (or the global key).",
    }),
  }).openapi("CreateEvolutionNumber"),
  z.object({ api_type: z.literal("sandbox"), ...Common }).openapi("CreateSandboxNumber"),
]);

export const UpdateConfigBody = z.object({
  name: Common.name.optional(),
  is_active: z.boolean().optional(),
  is_default: z.boolean().optional(),
  throughput_per_second: Common.throughput_per_second,
  phone_number_id: z.string().trim().regex(/^\d{5,30}$/).optional().openapi({ example: "106540352242922" }),
  business_account_id: z.string().trim().regex(/^\d{5,30}$/).nullable().optional().openapi({
    example: "102290129340398",
  }),
  access_token: z.string().trim().min(10).max(1024).optional(),
  app_secret: z.string().trim().min(8).max(256).optional(),
  verify_token: z.string().trim().min(8).max(256).optional(),
  instance_name: z.string().trim().min(1).max(100).optional(),
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  api_key: z.string().trim().min(4).max(256).optional(),
}).refine((b) => Object.keys(b).length > 0, "Send at least one field to change").openapi("UpdateNumber");

export const ConnectionStateSchema = z.enum(["connected", "connecting", "disconnected", "error", "unknown"]);

export const ConfigSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  phone_number: z.string().openapi({ example: "+5511999999999" }),
  api_type: z.enum(["official", "evolution", "sandbox"]),
  is_active: z.boolean(),
  is_default: z.boolean(),
  phone_number_id: z.string().nullable(),
  business_account_id: z.string().nullable(),
  instance_name: z.string().nullable(),
  base_url: z.string().nullable(),
  credentials: z.object({
    access_token: z.string().nullable(),
    app_secret: z.string().nullable(),
    verify_token: z.string().nullable(),
    api_key: z.string().nullable(),
  }).openapi({
    description: "Masked: the first and last characters only.",
    example: { access_token: "EAAG…9f3c", app_secret: null, verify_token: "x7Rq…k2Lw", api_key: null },
  }),
  webhook_url: z.string().openapi({ description: "Give this address to Meta or Evolution as the webhook." }),
  connection_state: ConnectionStateSchema,
  quality_rating: z.string().nullable().openapi({ example: "GREEN" }),
  messaging_tier: z.string().nullable().openapi({ example: "TIER_1K" }),
  display_name: z.string().nullable(),
  last_error: z.string().nullable(),
  last_checked_at: Timestamp.nullable(),
  throughput_per_second: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("WhatsAppNumber");

export const StatusSchema = z.object({
  connection_state: ConnectionStateSchema,
  quality_rating: z.string().nullable(),
  messaging_tier: z.string().nullable(),
  display_name: z.string().nullable(),
  phone_number: z.string().nullable(),
}).openapi("WhatsAppNumberStatus");

export const CheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() }).openapi(
  "Check",
);
