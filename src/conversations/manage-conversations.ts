import { and, desc, eq, gte, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import {
  contacts,
  conversations,
  type ConversationStatus,
  conversationStatuses,
} from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { cleanTags } from "../core/tags.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { contactMatches } from "../contacts/contact-search.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import { arrayWith, pageAndTotal, textArray } from "../platform/db/query-helpers.ts";
import { mapRead, readQuery, type Reads, runReads } from "../platform/db/reads.ts";
import { contactEvent, conversationEvent } from "../events/payloads.ts";
import type { Db } from "../platform/db/database.ts";
import type { Services } from "../services.ts";
import { resolveSendingConfig } from "../whatsapp/configs/manage-configs.ts";
import { upsertContact } from "../whatsapp/contact-upsert.ts";
import { toE164 } from "../whatsapp/phone.ts";
import { canMove, mayActOn, transitions } from "./conversation-rules.ts";
import {
  type ConversationJoined,
  type ConversationRow,
  type ConversationView,
  conversationView,
  selectConversations,
} from "./conversation-view.ts";

const ofTenant = (p: Principal) => eq(conversations.tenantId, p.tenantId!);

/** A conversation of the caller's tenant, with its contact and agent; undefined for any other. */
/** The caller's conversation, as a read to batch with what is shown beside it. */
export function conversationRead(p: Principal, id: string): Reads<ConversationJoined | undefined> {
  return mapRead(
    readQuery((db) => selectConversations(db).where(and(eq(conversations.id, id), ofTenant(p))).limit(1)),
    ([row]) => row,
  );
}

/** The conversation as its answer shows it, read at the end of the batch that changed it. */
export const readBack = (db: Db, p: Principal, id: string) =>
  selectConversations(db).where(and(eq(conversations.id, id), ofTenant(p))).limit(1);

export function findConversation(
  s: Services,
  p: Principal,
  id: string,
): Promise<ConversationJoined | undefined> {
  return runReads(s.database, conversationRead(p, id));
}

/** The conversation if the caller may change it: 404 for another tenant's, 403 for another agent's. */
export async function conversationToChange(
  s: Services,
  p: Principal,
  id: string,
): Promise<Result<ConversationJoined>> {
  const found = await findConversation(s, p, id);
  if (!found) return fail("not_found", "Conversation not found");
  if (!mayActOn(p, found.conversation)) {
    return fail(
      "forbidden",
      "This conversation is assigned to another agent; ask a supervisor to transfer it",
    );
  }
  return ok(found);
}

export interface ListConversationsQuery extends PageParams {
  status?: ConversationStatus[];
  assigned_to?: string;
  unassigned?: boolean;
  tag?: string;
  config_id?: string;
  contact_id?: string;
  priority?: ConversationRow["priority"];
  q?: string;
  updated_since?: string;
}

/** The inbox: filtered, newest activity first. */
export async function listConversations(s: Services, p: Principal, q: ListConversationsQuery) {
  const filters: SQL[] = [ofTenant(p)];
  if (q.status?.length) filters.push(inArray(conversations.status, q.status));
  if (q.assigned_to) {
    filters.push(
      eq(conversations.assignedTo, q.assigned_to === "me" && p.kind === "user" ? p.userId : q.assigned_to),
    );
  }
  if (q.unassigned) filters.push(isNull(conversations.assignedTo));
  if (q.tag) filters.push(sql`${conversations.tags} @> ${textArray([q.tag])}`);
  if (q.config_id) filters.push(eq(conversations.configId, q.config_id));
  if (q.contact_id) filters.push(eq(conversations.contactId, q.contact_id));
  if (q.priority) filters.push(eq(conversations.priority, q.priority));
  if (q.updated_since) filters.push(gte(conversations.updatedAt, new Date(q.updated_since)));
  if (q.q) {
    filters.push(inArray(
      conversations.contactId,
      s.database.db.select({ id: contacts.id }).from(contacts).where(
        and(eq(contacts.tenantId, p.tenantId!), contactMatches(q.q)),
      ),
    ));
  }
  const where = and(...filters);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      selectConversations(db).where(where)
        .orderBy(sql`${conversations.lastMessageAt} desc nulls last`, desc(conversations.id))
        .limit(q.limit).offset(offsetOf(q)),
    conversations,
    where,
  );
  const now = s.clock.now();
  return { data: rows.map((r) => conversationView(r, now)), total };
}

export interface CreateConversationInput {
  contact_phone: string;
  contact_name?: string;
  config_id?: string;
  priority?: ConversationRow["priority"];
  tags?: string[];
}

/**
 * Opens a conversation with a customer (upserting the contact by phone). There is at most one
 * open conversation per contact and number: asking for a second answers 409 naming the open one.
 */
export async function createConversation(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: CreateConversationInput,
): Promise<Result<ConversationView>> {
  const tenantId = p.tenantId!;
  const phone = toE164(input.contact_phone);
  if (!phone) {
    return fail("validation_failed", "`contact_phone` is not a valid phone number", {
      errors: [{
        path: "body.contact_phone",
        message: "Not a valid phone number (E.164 like +5511999999999)",
      }],
    });
  }
  const config = await resolveSendingConfig(s, tenantId, input.config_id);
  if (!config.ok) return config as Result<never>;
  const { contact, created: contactCreated } = await upsertContact(s, tenantId, {
    phone,
    name: input.contact_name?.trim() || undefined,
  });
  const id = uuidv7();
  const now = s.clock.now();
  const [inserted, , [created]] = await s.database.atomic((db) =>
    [
      db.insert(conversations).values({
        id,
        tenantId,
        contactId: contact.id,
        configId: config.value.id,
        status: "active",
        priority: input.priority ?? "normal",
        tags: cleanTags(input.tags ?? []),
        lastMessageAt: now,
        createdAt: now,
        updatedAt: now,
      }).onConflictDoNothing().returning({ id: conversations.id }),
      auditInsertWhere(
        db,
        meta,
        {
          action: "conversation.create",
          targetType: "conversation",
          targetId: id,
          metadata: { contact_id: contact.id, config_id: config.value.id },
        },
        now,
        sql`exists (select 1 from ${conversations} where ${conversations.id} = ${id})`,
      ),
      readBack(db, p, id),
    ] as const
  );
  if (inserted.length === 0) {
    const [open] = await s.database.db.select({ id: conversations.id }).from(conversations).where(and(
      eq(conversations.contactId, contact.id),
      eq(conversations.configId, config.value.id),
      inArray(conversations.status, ["active", "waiting"]),
    )).limit(1);
    return fail("conflict", "This contact already has an open conversation on this number", {
      extensions: { existing_id: open?.id ?? null },
    });
  }
  await s.events.publishAll([
    ...(contactCreated ? [{ type: "contact.created" as const, tenantId, data: contactEvent(contact) }] : []),
    { type: "conversation.created", tenantId, data: conversationEvent(created, now, { reopened: false }) },
  ]);
  const view = conversationView(created, now);
  return ok(view);
}

export interface UpdateConversationInput {
  status?: ConversationStatus;
  tags?: string[];
  priority?: ConversationRow["priority"];
}

/**
 * Changes status, tags or priority. A status change must be an allowed transition (409
 * `invalid_transition` lists the allowed ones); it is applied only if nobody changed the status
 * meanwhile, so two agents resolving and reopening at once cannot interleave.
 */
export async function updateConversation(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: UpdateConversationInput,
  action = "conversation.update",
): Promise<Result<ConversationView>> {
  const found = await conversationToChange(s, p, id);
  if (!found.ok) return found as Result<never>;
  const current = found.value.conversation;
  const to = input.status;
  if (to && !canMove(current.status, to)) {
    return fail("invalid_transition", `A ${current.status} conversation cannot become ${to}`, {
      extensions: { from: current.status, to, allowed: transitions[current.status] },
    });
  }
  const now = s.clock.now();
  const changes: Partial<ConversationRow> = {};
  if (to && to !== current.status) {
    changes.status = to;
    if (to === "resolved") changes.resolvedAt = now;
    if (to === "archived") changes.archivedAt = now;
    if (to === "active" || to === "waiting") {
      changes.resolvedAt = null;
      changes.archivedAt = null;
    }
  }
  if (input.tags) changes.tags = cleanTags(input.tags);
  if (input.priority && input.priority !== current.priority) changes.priority = input.priority;
  if (Object.keys(changes).length === 0) return ok(conversationView(found.value, now));

  let updated: unknown[];
  let after: ConversationJoined;
  try {
    const results = await s.database.atomic((db) =>
      [
        db.update(conversations).set({ ...changes, updatedAt: now })
          .where(and(eq(conversations.id, id), eq(conversations.status, current.status)))
          .returning({ id: conversations.id }),
        auditInsertWhere(
          db,
          meta,
          {
            action,
            targetType: "conversation",
            targetId: id,
            metadata: {
              ...(changes.status ? { from: current.status, to: changes.status } : {}),
              ...(changes.tags ? { tags: changes.tags } : {}),
              ...(changes.priority ? { priority: changes.priority } : {}),
            },
          },
          now,
          sql`exists (select 1 from ${conversations} where ${
            and(eq(conversations.id, id), eq(conversations.updatedAt, now))
          })`,
        ),
        readBack(db, p, id),
      ] as const
    );
    updated = results[0];
    after = results[2][0];
  } catch (err) {
    // Reopening while the contact already has another open conversation on the same number.
    if (!isUniqueViolation(err)) throw err;
    const [open] = await s.database.db.select({ id: conversations.id }).from(conversations).where(and(
      eq(conversations.contactId, current.contactId),
      eq(conversations.configId, current.configId),
      inArray(conversations.status, ["active", "waiting"]),
      ne(conversations.id, id),
    )).limit(1);
    return fail("conflict", "The contact has another open conversation on this number; resolve it first", {
      extensions: { existing_id: open?.id ?? null },
    });
  }
  if (updated.length === 0) {
    return fail("conflict", "The conversation changed meanwhile; read it again and retry");
  }
  await s.events.publish(
    changes.status === "resolved" ? "conversation.resolved" : "conversation.updated",
    current.tenantId,
    conversationEvent(after, now, { previous_status: current.status }),
  );
  return ok(conversationView(after, now));
}

/** Puts a conversation away (idempotent). */
export const archiveConversation = (s: Services, meta: RequestMeta, p: Principal, id: string) =>
  updateConversation(s, meta, p, id, { status: "archived" }, "conversation.archive");

/** Opens a resolved or archived conversation again; an open one is answered unchanged. */
export async function reopenConversation(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<ConversationView>> {
  const found = await conversationToChange(s, p, id);
  if (!found.ok) return found as Result<never>;
  const { status } = found.value.conversation;
  if (status === "active" || status === "waiting") return ok(conversationView(found.value, s.clock.now()));
  return updateConversation(s, meta, p, id, { status: "active" }, "conversation.reopen");
}

/** Adds tags, keeping the ones there; adding a tag twice changes nothing. */
export async function addConversationTags(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  tags: string[],
): Promise<Result<ConversationView>> {
  const found = await conversationToChange(s, p, id);
  if (!found.ok) return found as Result<never>;
  const fresh = cleanTags(tags).filter((t) => !found.value.conversation.tags.includes(t));
  const now = s.clock.now();
  if (fresh.length === 0) return ok(conversationView(found.value, now));
  const results = await s.database.atomic((db) =>
    [
      db.update(conversations).set({
        tags: arrayWith(conversations.tags, textArray(fresh)),
        updatedAt: now,
      }).where(eq(conversations.id, id)),
      auditInsertWhere(
        db,
        meta,
        {
          action: "conversation.tag",
          targetType: "conversation",
          targetId: id,
          metadata: { added: fresh },
        },
        now,
        sql`true`,
      ),
      readBack(db, p, id),
    ] as const
  );
  const [, , [after]] = results;
  await s.events.publish("conversation.updated", after.conversation.tenantId, conversationEvent(after, now));
  return ok(conversationView(after, now));
}

/** Statuses as a `?status=` list: `active,waiting`. */
export function parseStatuses(raw: string): ConversationStatus[] | null {
  const list = raw.split(",").map((x) => x.trim()).filter(Boolean);
  return list.every((x) => (conversationStatuses as readonly string[]).includes(x))
    ? list as ConversationStatus[]
    : null;
}
