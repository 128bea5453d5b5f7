import type { Role } from "../auth/permissions.ts";

/**
 * Who may manage whom inside a tenant: owners manage everyone, including other owners; everyone
 * else only roles below their own. Nobody reaches the platform role from a tenant.
 */
const rank: Record<Role, number> = { super_admin: 6, owner: 5, admin: 4, supervisor: 3, agent: 2, viewer: 1 };

export function canManage(actor: Role, target: Role): boolean {
  if (actor === "super_admin") return true;
  if (target === "super_admin") return false;
  if (actor === "owner") return true;
  return rank[target] < rank[actor];
}

export function canAssign(actor: Role, role: Role): boolean {
  if (role === "super_admin") return actor === "super_admin";
  return canManage(actor, role);
}
