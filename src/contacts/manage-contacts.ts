import { and, desc, eq, gte, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import { contacts, conversations } from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { cleanTags } from "../core/tags.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import { arrayWith, arrayWithout, pageAndTotal, textArray } from "../platform/db/query-helpers.ts";
import { selectConversations } from "../conversations/conversation-view.ts";
import { contactEvent, conversationEvent } from "../events/payloads.ts";
import type { Services } from "../services.ts";
import { toE164 } from "../whatsapp/phone.ts";
import { contactMatches } from "./contact-search.ts";
import { type ContactRow, type ContactView, contactView } from "./contact-view.ts";

export type Attributes = Record<string, string | number | boolean | null>;

/** Live contacts of the caller's tenant. */
export const contactsOf = (p: Principal): SQL =>
  and(eq(contacts.tenantId, p.tenantId!), isNull(contacts.deletedAt))!;

export async function findContact(s: Services, p: Principal, id: string): Promise<ContactRow | undefined> {
  const [row] = await s.database.db.select().from(contacts).where(and(eq(contacts.id, id), contactsOf(p)))
    .limit(1);
  return row;
}

export interface ContactFilters {
  /** Contacts carrying any (`tags_match=any`) or all of these tags. */
  tags?: string[];
  tags_match?: "any" | "all";
  q?: string;
  opt_in?: boolean;
  blocked?: boolean;
  updated_since?: string;
}

/** The filters of list, search and export, as one condition. */
export function contactFilter(p: Principal, f: ContactFilters): SQL {
  const filters: SQL[] = [contactsOf(p)];
  if (f.tags?.length) {
    filters.push(
      f.tags_match === "all"
        ? sql`${contacts.tags} @> ${textArray(f.tags)}`
        : sql`${contacts.tags} && ${textArray(f.tags)}`,
    );
  }
  if (f.q) filters.push(contactMatches(f.q));
  // `false` is an explicit opt-out; a contact never asked (null) is in neither list.
  if (f.opt_in !== undefined) filters.push(eq(contacts.optIn, f.opt_in));
  if (f.blocked !== undefined) filters.push(eq(contacts.blocked, f.blocked));
  if (f.updated_since) filters.push(gte(contacts.updatedAt, new Date(f.updated_since)));
  return and(...filters)!;
}

/** Newest first. */
export async function listContacts(s: Services, p: Principal, q: PageParams & ContactFilters) {
  const where = contactFilter(p, q);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(contacts).where(where)
        .orderBy(desc(contacts.createdAt), desc(contacts.id)).limit(q.limit).offset(offsetOf(q)),
    contacts,
    where,
  );
  return { data: rows.map(contactView), total };
}

export interface ContactInput {
  phone: string;
  name?: string | null;
  email?: string | null;
  tags?: string[];
  attributes?: Attributes;
  opt_in?: boolean | null;
  blocked?: boolean;
}

const badPhone = (path: string) =>
  fail<never>("validation_failed", "Not a valid phone number", {
    errors: [{
      path,
      message: "Not a valid phone number (E.164 like +5511999999999; Brazilian numbers may omit +55)",
    }],
  });

async function duplicateOf(s: Services, p: Principal, phone: string, except?: string) {
  const [existing] = await s.database.db.select({ id: contacts.id, name: contacts.name }).from(contacts)
    .where(and(contactsOf(p), eq(contacts.phone, phone), except ? ne(contacts.id, except) : undefined)).limit(
      1,
    );
  return fail<never>("conflict", `A contact with the phone ${phone} already exists`, {
    extensions: { existing_id: existing?.id ?? null, existing_name: existing?.name ?? null },
  });
}

/** Attributes merged into the ones there: a `null` value removes its key. */
function mergeAttributes(current: Record<string, unknown>, changes: Attributes): Record<string, unknown> {
  const out = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** A new contact; its phone (E.164) must not belong to another live contact of the tenant (409). */
export async function createContact(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: ContactInput,
): Promise<Result<ContactView>> {
  const phone = toE164(input.phone);
  if (!phone) return badPhone("body.phone");
  const id = uuidv7();
  const now = s.clock.now();
  const [inserted] = await s.database.atomic((db) =>
    [
      db.insert(contacts).values({
        id,
        tenantId: p.tenantId!,
        phone,
        waId: phone.slice(1),
        name: input.name?.trim() || null,
        email: input.email?.trim().toLowerCase() || null,
        tags: cleanTags(input.tags ?? []),
        attributes: mergeAttributes({}, input.attributes ?? {}),
        optIn: input.opt_in ?? null,
        optInAt: input.opt_in === true ? now : null,
        optOutAt: input.opt_in === false ? now : null,
        blocked: input.blocked ?? false,
        createdAt: now,
        updatedAt: now,
      }).onConflictDoNothing().returning(),
      auditInsertWhere(
        db,
        meta,
        {
          action: "contact.create",
          targetType: "contact",
          targetId: id,
          metadata: { phone },
        },
        now,
        sql`exists (select 1 from ${contacts} where ${contacts.id} = ${id})`,
      ),
    ] as const
  );
  if (inserted.length === 0) return duplicateOf(s, p, phone);
  await s.events.publish("contact.created", p.tenantId!, contactEvent(inserted[0]));
  return ok(contactView(inserted[0]));
}

export type ContactChanges = Partial<ContactInput>;

/**
 * Changes the fields given (a missing field stays as it is). `tags` replaces the list;
 * `attributes` merges (a `null` value removes that key); `opt_in` stamps the time of the consent
 * or of the opt-out.
 */
export async function updateContact(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: ContactChanges,
): Promise<Result<ContactView>> {
  const current = await findContact(s, p, id);
  if (!current) return fail("not_found", "Contact not found");
  const now = s.clock.now();
  const changes: Partial<ContactRow> = {};
  if (input.phone !== undefined) {
    const phone = toE164(input.phone);
    if (!phone) return badPhone("body.phone");
    if (phone !== current.phone) Object.assign(changes, { phone, waId: phone.slice(1) });
  }
  if (input.name !== undefined) changes.name = input.name?.trim() || null;
  if (input.email !== undefined) changes.email = input.email?.trim().toLowerCase() || null;
  if (input.tags !== undefined) changes.tags = cleanTags(input.tags);
  if (input.attributes !== undefined) {
    changes.attributes = mergeAttributes(current.attributes, input.attributes);
  }
  if (input.opt_in !== undefined && input.opt_in !== current.optIn) {
    changes.optIn = input.opt_in;
    if (input.opt_in === true) changes.optInAt = now;
    if (input.opt_in === false) changes.optOutAt = now;
  }
  if (input.blocked !== undefined) changes.blocked = input.blocked;
  const changed = Object.keys(changes).filter((k) =>
    JSON.stringify(changes[k as keyof ContactRow]) !== JSON.stringify(current[k as keyof ContactRow])
  );
  if (changed.length === 0) return ok(contactView(current));
  let rows: ContactRow[];
  try {
    [rows] = await s.database.atomic((db) =>
      [
        db.update(contacts).set({ ...changes, updatedAt: now })
          .where(and(eq(contacts.id, id), isNull(contacts.deletedAt))).returning(),
        auditInsertWhere(
          db,
          meta,
          {
            action: "contact.update",
            targetType: "contact",
            targetId: id,
            metadata: { fields: changed },
          },
          now,
          sql`exists (select 1 from ${contacts} where ${
            and(eq(contacts.id, id), eq(contacts.updatedAt, now))
          })`,
        ),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err) && changes.phone) return duplicateOf(s, p, changes.phone, id);
    throw err;
  }
  if (rows.length === 0) return fail("not_found", "Contact not found");
  await s.events.publish("contact.updated", p.tenantId!, contactEvent(rows[0], { fields: changed }));
  return ok(contactView(rows[0]));
}

/** Adds (`add`) or removes tags; adding one already there or removing one absent changes nothing. */
export async function changeContactTags(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  op: "add" | "remove",
  tags: string[],
): Promise<Result<ContactView>> {
  const current = await findContact(s, p, id);
  if (!current) return fail("not_found", "Contact not found");
  const list = cleanTags(tags);
  const effective = op === "add"
    ? list.filter((t) => !current.tags.includes(t))
    : list.filter((t) => current.tags.includes(t));
  if (effective.length === 0) return ok(contactView(current));
  const now = s.clock.now();
  const tagsSql = op === "add"
    ? arrayWith(contacts.tags, textArray(effective))
    : arrayWithout(contacts.tags, textArray(effective));
  const [rows] = await s.database.atomic((db) =>
    [
      db.update(contacts).set({ tags: tagsSql, updatedAt: now })
        .where(and(eq(contacts.id, id), isNull(contacts.deletedAt))).returning(),
      auditInsertWhere(
        db,
        meta,
        {
          action: op === "add" ? "contact.tag" : "contact.untag",
          targetType: "contact",
          targetId: id,
          metadata: { tags: effective },
        },
        now,
        sql`exists (select 1 from ${contacts} where ${
          and(eq(contacts.id, id), eq(contacts.updatedAt, now))
        })`,
      ),
    ] as const
  );
  if (rows.length === 0) return fail("not_found", "Contact not found");
  await s.events.publish("contact.updated", p.tenantId!, contactEvent(rows[0], { fields: ["tags"] }));
  return ok(contactView(rows[0]));
}

/**
 * Deletes a contact (soft: the row stays for the history, the phone is free for a new contact,
 * a new message from it starts a new contact). Its conversations are archived in the same batch,
 * their messages kept (erasing personal data is the LGPD routes' job), and the audit entry says
 * how many were archived.
 */
export async function deleteContact(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<{ id: string; deleted_at: string; conversations_archived: number }>> {
  const current = await findContact(s, p, id);
  if (!current) return fail("not_found", "Contact not found");
  const now = s.clock.now();
  // Which conversations go to the archive, named in the audit entry; the batch archives exactly these.
  const toArchive = (await s.database.db.select({ id: conversations.id }).from(conversations)
    .where(and(eq(conversations.contactId, id), ne(conversations.status, "archived")))).map((c) => c.id);
  const happened = sql`exists (select 1 from ${contacts} where ${
    and(eq(contacts.id, id), eq(contacts.deletedAt, now))
  })`;
  const [deleted, archived, , snapshots] = await s.database.atomic((db) =>
    [
      db.update(contacts).set({ deletedAt: now, updatedAt: now })
        .where(and(eq(contacts.id, id), isNull(contacts.deletedAt))).returning(),
      db.update(conversations).set({ status: "archived", archivedAt: now, updatedAt: now })
        .where(and(
          inArray(conversations.id, toArchive.length ? toArchive : [id]),
          ne(conversations.status, "archived"),
          happened,
        )).returning({ id: conversations.id }),
      auditInsertWhere(
        db,
        meta,
        {
          action: "contact.delete",
          targetType: "contact",
          targetId: id,
          metadata: {
            phone: current.phone,
            conversations_archived: toArchive.length,
            conversation_ids: toArchive,
          },
        },
        now,
        happened,
      ),
      // The archived conversations as they now are, for their events.
      selectConversations(db).where(inArray(conversations.id, toArchive.length ? toArchive : [id])),
    ] as const
  );
  if (deleted.length === 0) return fail("not_found", "Contact not found");
  const archivedIds = new Set(archived.map((a) => a.id));
  await s.events.publishAll([
    { type: "contact.updated", tenantId: p.tenantId!, data: contactEvent(deleted[0], { deleted: true }) },
    ...snapshots.filter((c) => archivedIds.has(c.conversation.id)).map((c) => ({
      type: "conversation.updated" as const,
      tenantId: p.tenantId!,
      data: conversationEvent(c, now),
    })),
  ]);
  return ok({ id, deleted_at: now.toISOString(), conversations_archived: archived.length });
}
