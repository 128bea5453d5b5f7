import type { PlanCode } from "../../db/schema/index.ts";
import type { Permission, Role } from "./permissions.ts";

/**
 * Who is calling, resolved once per request by `authenticate`. Tenant data is always scoped by
 * `tenantId` taken from here, never from the request (DESIGN §4).
 */
export type Principal =
  | {
    kind: "user";
    userId: string;
    /** Null only for the platform super admin. */
    tenantId: string | null;
    role: Role;
    permissions: ReadonlySet<Permission>;
    sessionId: string;
    tokenId: string;
    tokenExpiresAt: number;
    /** The tenant's plan as authentication saw it (limits), when the user has a tenant. */
    plan?: PlanCode;
  }
  | {
    kind: "api_key";
    keyId: string;
    tenantId: string;
    /** The role of the user who created the key; its permissions are a subset of theirs. */
    role: Role;
    createdBy: string;
    permissions: ReadonlySet<Permission>;
    plan?: PlanCode;
  }
  | {
    /** A metrics scraper holding `OBSERVABILITY_TOKEN`; may read observability data only. */
    kind: "scrape";
    tenantId: null;
    permissions: ReadonlySet<Permission>;
  };

export const can = (p: Principal, perm: Permission): boolean => p.permissions.has(perm);
