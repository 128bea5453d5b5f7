import type { ConversationStatus } from "../../db/schema/index.ts";
import { can, type Principal } from "../auth/principal.ts";

/**
 * Where a conversation may go from each status. `active`: a bot or an agent is on it; `waiting`:
 * it needs an agent; `resolved`: done, and a new customer message opens it again; `archived`:
 * put away (a deleted contact's conversations end here), only an explicit reopen brings it back.
 */
export const transitions: Record<ConversationStatus, readonly ConversationStatus[]> = {
  active: ["waiting", "resolved", "archived"],
  waiting: ["active", "resolved", "archived"],
  resolved: ["active", "archived"],
  archived: ["active"],
};

export const canMove = (from: ConversationStatus, to: ConversationStatus): boolean =>
  from === to || transitions[from].includes(to);

/**
 * Agents act only on conversations assigned to them or to nobody; whoever holds
 * `assign:conversations` (supervisors, admins, owners, keys granted it) acts on all. An API key
 * without that grant is a machine acting for the tenant, limited by its permissions alone.
 */
export function mayActOn(p: Principal, conversation: { assignedTo: string | null }): boolean {
  if (can(p, "assign:conversations") || p.kind !== "user") return true;
  return conversation.assignedTo === null || conversation.assignedTo === p.userId;
}

/** Who can be given conversations: an active user whose permissions include answering them. */
export const canTakeConversations = (permissions: ReadonlySet<string>): boolean =>
  permissions.has("write:conversations") && permissions.has("write:messages");
