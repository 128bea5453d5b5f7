/**
 * RBAC (DESIGN §5): permissions are `action:resource` strings, roles are fixed sets of them, and
 * a user may hold extra grants on top of the role. Every route names the one permission it needs
 * in its definition (`defineRoute({ permission })`).
 */

export const permissions = [
  // the caller's own tenant
  "read:tenant",
  "write:tenant",
  // platform administration
  "read:tenants",
  "write:tenants",
  "read:observability",
  // people and access
  "read:users",
  "write:users",
  "read:api_keys",
  "write:api_keys",
  "read:audit",
  // channel and inbox
  "read:whatsapp",
  "write:whatsapp",
  "read:messages",
  "write:messages",
  "read:conversations",
  "write:conversations",
  "assign:conversations",
  "read:contacts",
  "write:contacts",
  // automation and outreach
  "read:flows",
  "write:flows",
  "read:campaigns",
  "write:campaigns",
  "read:erp",
  "write:erp",
  /** Connect, configure, test and disconnect an ERP (its credentials and the data it syncs). */
  "manage:erp",
  "use:ai",
  "write:ai",
  // insight and integration
  "read:dashboard",
  "read:webhooks",
  "write:webhooks",
  "read:privacy",
  "write:privacy",
] as const;

export type Permission = typeof permissions[number];

export const roles = ["super_admin", "owner", "admin", "supervisor", "agent", "viewer"] as const;
export type Role = typeof roles[number];
export type TenantRole = Exclude<Role, "super_admin">;

const platformOnly: Permission[] = ["read:tenants", "write:tenants", "read:observability"];
const tenantAll = permissions.filter((p) => !platformOnly.includes(p));

const readOnly: Permission[] = [
  "read:tenant",
  "read:whatsapp",
  "read:messages",
  "read:conversations",
  "read:contacts",
  "read:flows",
  "read:campaigns",
  "read:erp",
  "read:dashboard",
];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  super_admin: permissions,
  owner: tenantAll,
  // The tenant's name and settings are the owner's (billing identity, time zone, language).
  admin: tenantAll.filter((p) => p !== "write:tenant"),
  supervisor: [
    ...readOnly,
    "read:users",
    "read:audit",
    "read:webhooks",
    "write:messages",
    "write:conversations",
    "assign:conversations",
    "write:contacts",
    "write:flows",
    "write:campaigns",
    "write:erp",
    "use:ai",
    "read:privacy",
  ],
  agent: [...readOnly, "write:messages", "write:conversations", "write:contacts", "write:erp", "use:ai"],
  viewer: readOnly,
};

export const roleDescriptions: Record<Role, string> = {
  super_admin: "Platform administrator: manages tenants and reads observability data.",
  owner: "Owns the tenant: everything inside it, including billing plan and other owners.",
  admin: "Administers the tenant: users, numbers, integrations and settings.",
  supervisor: "Runs the inbox: assigns and transfers conversations, manages flows and campaigns.",
  agent: "Answers customers in conversations assigned to them or unassigned.",
  viewer: "Reads conversations, contacts and reports without changing anything.",
};

export function isPermission(p: string): p is Permission {
  return (permissions as readonly string[]).includes(p);
}
