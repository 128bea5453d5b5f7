import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { contacts } from "../../db/schema/index.ts";
import { uuidv7 } from "../core/ids.ts";
import type { Services } from "../services.ts";
import { phoneVariants } from "./phone.ts";

export type ContactRow = typeof contacts.$inferSelect;

/**
 * The contact for a phone number, created if new. Brazilian mobiles are found with or without
 * the ninth digit; the insert races safely on the (tenant, phone) unique index.
 */
export async function upsertContact(
  s: Services,
  tenantId: string,
  input: { phone: string; waId?: string; profileName?: string; name?: string; seenAt?: Date },
): Promise<{ contact: ContactRow; created: boolean }> {
  const { db } = s.database;
  const variants = phoneVariants(input.phone);
  const [existing] = await db.select().from(contacts)
    .where(
      and(eq(contacts.tenantId, tenantId), inArray(contacts.phone, variants), isNull(contacts.deletedAt)),
    )
    .limit(1);
  const now = s.clock.now();
  if (existing) {
    const changes = {
      // A name typed by the team fills a contact known only by number; it never overwrites one.
      ...(input.name && !existing.name ? { name: input.name } : {}),
      ...(input.waId && input.waId !== existing.waId ? { waId: input.waId } : {}),
      ...(input.profileName && input.profileName !== existing.profileName
        ? { profileName: input.profileName }
        : {}),
      // Refreshed at most every five minutes: a chatty customer is not a write per message.
      ...(input.seenAt &&
          (!existing.lastSeenAt || input.seenAt.getTime() - existing.lastSeenAt.getTime() > 300_000)
        ? { lastSeenAt: input.seenAt }
        : {}),
    };
    if (Object.keys(changes).length === 0) return { contact: existing, created: false };
    const [updated] = await db.update(contacts).set({ ...changes, updatedAt: now }).where(
      eq(contacts.id, existing.id),
    )
      .returning();
    return { contact: updated, created: false };
  }
  const id = uuidv7();
  const [row] = await db.insert(contacts).values({
    id,
    tenantId,
    phone: input.phone,
    waId: input.waId ?? input.phone.replace(/\D/g, ""),
    profileName: input.profileName ?? null,
    name: input.name ?? input.profileName ?? null,
    lastSeenAt: input.seenAt ?? null,
    createdAt: now,
    updatedAt: now,
  }).onConflictDoUpdate({
    target: [contacts.tenantId, contacts.phone],
    targetWhere: sql`${contacts.deletedAt} is null`,
    set: { updatedAt: now },
  }).returning();
  return { contact: row, created: row.id === id };
}
