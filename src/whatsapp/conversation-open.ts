import { and, desc, eq, inArray } from "drizzle-orm";
import { conversations } from "../../db/schema/index.ts";
import { uuidv7 } from "../core/ids.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import type { Services } from "../services.ts";

export type ConversationRow = typeof conversations.$inferSelect;

const open = (contactId: string, configId: string) =>
  and(
    eq(conversations.contactId, contactId),
    eq(conversations.configId, configId),
    inArray(conversations.status, ["active", "waiting"]),
  );

/**
 * The open conversation of a contact on a number: the one already open, else the latest
 * resolved one reopened, else a new one. Concurrent callers meet on the partial unique index
 * (one open conversation per contact and number) and read the winner's row.
 */
export async function openConversation(
  s: Services,
  tenantId: string,
  contactId: string,
  configId: string,
): Promise<{ conversation: ConversationRow; opened: "existing" | "reopened" | "created" }> {
  const { db } = s.database;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [current] = await db.select().from(conversations).where(open(contactId, configId)).limit(1);
    if (current) return { conversation: current, opened: "existing" };
    const now = s.clock.now();
    try {
      const [resolved] = await db.select({ id: conversations.id }).from(conversations)
        .where(and(
          eq(conversations.contactId, contactId),
          eq(conversations.configId, configId),
          eq(conversations.status, "resolved"),
        ))
        .orderBy(desc(conversations.lastMessageAt)).limit(1);
      if (resolved) {
        const [reopened] = await db.update(conversations)
          .set({ status: "active", resolvedAt: null, updatedAt: now })
          .where(and(eq(conversations.id, resolved.id), eq(conversations.status, "resolved")))
          .returning();
        if (reopened) return { conversation: reopened, opened: "reopened" };
        continue;
      }
      const [created] = await db.insert(conversations).values({
        id: uuidv7(),
        tenantId,
        contactId,
        configId,
        status: "active",
        createdAt: now,
        updatedAt: now,
      }).returning();
      return { conversation: created, opened: "created" };
    } catch (err) {
      // Someone opened one between our read and write: loop to read theirs.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error("could not open a conversation after 3 attempts");
}
