import { z } from "@hono/zod-openapi";
import { permissions, roles } from "../../src/auth/permissions.ts";
import { Timestamp } from "../../src/http/openapi-schemas.ts";

export const TAG = "Users";

export const Permission = z.enum(permissions).openapi({ example: "read:messages" });
export const Role = z.enum(roles).openapi({ example: "agent" });

export const PermissionsSchema = z.object({
  role: Role,
  role_permissions: z.array(Permission),
  grants: z.array(Permission),
  effective: z.array(Permission),
}).openapi("UserPermissions");

export const AuditEntrySchema = z.object({
  id: z.uuid(),
  action: z.string().openapi({ example: "user.update" }),
  actor_type: z.enum(["user", "api_key", "system", "anonymous"]),
  actor_id: z.uuid().nullable(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  created_at: Timestamp,
}).openapi("AuditEntry");

export const ApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string().openapi({ example: "ERP integration" }),
  prefix: z.string().openapi({ example: "pk_3fQx9a" }),
  permissions: z.array(Permission),
  created_by: z.uuid(),
  last_used_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable(),
  created_at: Timestamp,
}).openapi("ApiKey");
