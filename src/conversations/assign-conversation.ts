import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { conversationAssignments, conversations, users } from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import { effectivePermissions } from "../auth/principal-state.ts";
import { isPermission } from "../auth/permissions.ts";
import { can, type Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { mapRead, readQuery } from "../platform/db/reads.ts";
import { conversationEvent } from "../events/payloads.ts";
import type { Services } from "../services.ts";
import { canTakeConversations } from "./conversation-rules.ts";
import { type ConversationView, conversationView } from "./conversation-view.ts";
import { conversationToChange, readBack } from "./manage-conversations.ts";

type Kind = "assign" | "transfer" | "unassign";

/** An active user of the tenant who can answer conversations, or why they cannot. */
async function eligibleAgent(
  s: Services,
  p: Principal,
  userId: string,
  path: string,
): Promise<Result<string>> {
  const [u] = await s.database.db.select({
    id: users.id,
    role: users.role,
    permissions: users.permissions,
    status: users.status,
  }).from(users).where(and(eq(users.id, userId), eq(users.tenantId, p.tenantId!), isNull(users.deletedAt)));
  if (!u) {
    return fail("validation_failed", "No such user in this tenant", {
      errors: [{ path, message: "No such user in this tenant" }],
    });
  }
  if (u.status !== "active") {
    return fail("validation_failed", "This user is not active", {
      errors: [{ path, message: `User is ${u.status}` }],
    });
  }
  if (!canTakeConversations(effectivePermissions(u.role, u.permissions.filter(isPermission)))) {
    return fail("validation_failed", `A ${u.role} cannot take conversations`, {
      errors: [{ path, message: `The ${u.role} role cannot answer conversations` }],
    });
  }
  return ok(u.id);
}

/**
 * Gives a conversation to an agent (`agentId`), or to nobody (`null`: it goes back to the queue
 * as `waiting`). Agents may take an unassigned conversation for themselves; giving one to someone
 * else, or taking it from someone, needs `assign:conversations`. Transfers move a conversation
 * from its agent to another, with a reason; the current agent may transfer their own.
 * Every change is kept in the assignment history and the audit log.
 */
export async function assignConversation(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: { kind: "assign"; agentId: string | null } | { kind: "transfer"; agentId: string; reason?: string },
): Promise<Result<ConversationView>> {
  const found = await conversationToChange(s, p, id);
  if (!found.ok) return found as Result<never>;
  const current = found.value.conversation;
  const path = input.kind === "transfer" ? "body.to_agent_id" : "body.agent_id";
  const supervisor = can(p, "assign:conversations") || p.kind !== "user";
  if (!supervisor && input.kind === "assign" && input.agentId !== p.userId) {
    return fail(
      "forbidden",
      "Agents can only take conversations for themselves; assigning others needs assign:conversations",
    );
  }
  if (input.agentId) {
    const agent = await eligibleAgent(s, p, input.agentId, path);
    if (!agent.ok) return agent as Result<never>;
  }
  if (input.agentId === current.assignedTo) {
    if (input.kind === "transfer") {
      return fail("conflict", "The conversation is already with this agent", {
        extensions: { assigned_to: current.assignedTo },
      });
    }
    return ok(conversationView(found.value, s.clock.now()));
  }
  const kind: Kind = input.agentId === null ? "unassign" : input.kind;
  const now = s.clock.now();
  // An agent picking up a waiting conversation is working on it; one sent back to the queue waits.
  const status = input.agentId && current.status === "waiting"
    ? "active"
    : !input.agentId && current.status === "active"
    ? "waiting"
    : current.status;
  const assignmentId = uuidv7();
  const reason = input.kind === "transfer" ? input.reason?.trim() || null : null;
  const moved = sql`exists (select 1 from ${conversations} where ${
    and(eq(conversations.id, id), eq(conversations.assignedAt, now))
  } and ${conversations.assignedTo} is not distinct from ${input.agentId}::uuid)`;
  const [updated, , , [after]] = await s.database.atomic((db) =>
    [
      // Applied only if the assignee is still the one we read: two supervisors cannot both win.
      db.update(conversations).set({
        assignedTo: input.agentId,
        assignedAt: now,
        status,
        updatedAt: now,
      }).where(and(
        eq(conversations.id, id),
        current.assignedTo
          ? eq(conversations.assignedTo, current.assignedTo)
          : isNull(conversations.assignedTo),
      )).returning({ id: conversations.id }),
      db.insert(conversationAssignments).select(
        db.select({
          id: sql`${assignmentId}::uuid`.as("id"),
          tenantId: sql`${current.tenantId}::uuid`.as("tenant_id"),
          conversationId: sql`${id}::uuid`.as("conversation_id"),
          kind: sql`${kind}`.as("kind"),
          fromUserId: sql`${current.assignedTo}::uuid`.as("from_user_id"),
          toUserId: sql`${input.agentId}::uuid`.as("to_user_id"),
          byUserId: sql`${p.kind === "user" ? p.userId : null}::uuid`.as("by_user_id"),
          byApiKeyId: sql`${p.kind === "api_key" ? p.keyId : null}::uuid`.as("by_api_key_id"),
          reason: sql`${reason}`.as("reason"),
          createdAt: sql`${now.toISOString()}::timestamptz`.as("created_at"),
        }).from(sql`(select 1) as one`).where(moved),
      ),
      auditInsertWhere(
        db,
        meta,
        {
          action: `conversation.${kind}`,
          targetType: "conversation",
          targetId: id,
          metadata: { from: current.assignedTo, to: input.agentId, ...(reason ? { reason } : {}) },
        },
        now,
        moved,
      ),
      readBack(db, p, id),
    ] as const
  );
  if (updated.length === 0) {
    return fail("conflict", "The conversation was assigned meanwhile; read it again and retry");
  }
  await s.events.publish(
    "conversation.assigned",
    current.tenantId,
    conversationEvent(after, now, { kind, previous_assignee: current.assignedTo, reason }),
  );
  return ok(conversationView(after, now));
}

/** The assignment history of a conversation, oldest first, with names. */
export function assignmentHistoryRead(conversationId: string) {
  const query = readQuery((db) =>
    db.select({
      a: conversationAssignments,
      from: sql<
        string | null
      >`(select name from ${users} where ${users.id} = ${conversationAssignments.fromUserId})`,
      to: sql<
        string | null
      >`(select name from ${users} where ${users.id} = ${conversationAssignments.toUserId})`,
      by: sql<
        string | null
      >`(select name from ${users} where ${users.id} = ${conversationAssignments.byUserId})`,
    }).from(conversationAssignments)
      .where(eq(conversationAssignments.conversationId, conversationId))
      .orderBy(asc(conversationAssignments.createdAt), asc(conversationAssignments.id))
  );
  return mapRead(query, (rows) =>
    rows.map(({ a, from, to, by }) => ({
      id: a.id,
      kind: a.kind,
      from: a.fromUserId ? { id: a.fromUserId, name: from } : null,
      to: a.toUserId ? { id: a.toUserId, name: to } : null,
      by: a.byUserId
        ? { type: "user" as const, id: a.byUserId, name: by }
        : { type: "api_key" as const, id: a.byApiKeyId, name: null },
      reason: a.reason,
      created_at: a.createdAt.toISOString(),
    })));
}
