import { z } from "@hono/zod-openapi";
import { permissions, roles } from "../../src/auth/permissions.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";

export const TAG = "Auth";

export const Email = z.email().max(254).openapi({ example: "maria@provedor.com.br" });

export const TenantSummary = z.object({
  id: z.uuid(),
  name: z.string().openapi({ example: "Fibra Rápida Telecom" }),
  plan: z.enum(["starter", "growth", "enterprise"]),
  status: z.enum(["active", "suspended", "deleted"]),
}).openapi("TenantSummary");

export const UserSchema = z.object({
  id: z.uuid(),
  email: z.string().openapi({ example: "maria@provedor.com.br" }),
  name: z.string().openapi({ example: "Maria Souza" }),
  role: z.enum(roles),
  status: z.enum(["active", "invited", "disabled"]),
  email_verified: z.boolean(),
  permissions: z.array(z.enum(permissions)).openapi({
    description: "Everything the user may do: role plus grants.",
  }),
  grants: z.array(z.enum(permissions)).openapi({ description: "Extra permissions on top of the role." }),
  tenant: TenantSummary.nullable().openapi({ description: "Null only for the platform super admin." }),
  last_login_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("User");

export const TokenPairSchema = z.object({
  token: z.string().openapi({ description: "Access token (JWT), valid 15 minutes." }),
  refresh_token: z.string().openapi({ description: "Opaque; single use: each refresh returns a new one." }),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().openapi({ example: 900 }),
});

export const SessionSchema = TokenPairSchema.extend({ user: UserSchema }).openapi("Session");
