import { asc, eq, sql } from "drizzle-orm";
import { apiKeys, conversationNotes, users } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { ok, type Result } from "../core/result.ts";
import { mapRead, readQuery, type Reads, runReads } from "../platform/db/reads.ts";
import { conversationEvent } from "../events/payloads.ts";
import type { Services } from "../services.ts";
import { conversationToChange } from "./manage-conversations.ts";

type NoteRow = typeof conversationNotes.$inferSelect;

function noteView(n: NoteRow, authorName: string | null) {
  return {
    id: n.id,
    conversation_id: n.conversationId,
    note: n.body,
    author: n.authorUserId
      ? { type: "user" as const, id: n.authorUserId, name: authorName }
      : { type: "api_key" as const, id: n.authorApiKeyId, name: authorName },
    created_at: n.createdAt.toISOString(),
  };
}

export type NoteView = ReturnType<typeof noteView>;

/**
 * An internal note on a conversation: for the team only, never sent to the customer. Whoever may
 * act on the conversation may write one; the author and time are kept.
 */
export async function addNote(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  conversationId: string,
  text: string,
): Promise<Result<NoteView>> {
  const found = await conversationToChange(s, p, conversationId);
  if (!found.ok) return found as Result<never>;
  const now = s.clock.now();
  const row: NoteRow = {
    id: uuidv7(),
    tenantId: p.tenantId!,
    conversationId,
    authorUserId: p.kind === "user" ? p.userId : null,
    authorApiKeyId: p.kind === "api_key" ? p.keyId : null,
    body: text.trim(),
    createdAt: now,
  };
  const [, , [author]] = await s.database.atomic((db) =>
    [
      db.insert(conversationNotes).values(row),
      auditInsert(db, meta, {
        action: "conversation.note",
        targetType: "conversation",
        targetId: conversationId,
        metadata: { note_id: row.id },
      }, now),
      db.select({ name: authorName }).from(conversationNotes).where(eq(conversationNotes.id, row.id)),
    ] as const
  );
  const view = noteView(row, author?.name ?? null);
  await s.events.publish(
    "conversation.note_added",
    row.tenantId,
    conversationEvent(found.value, now, { note: view }),
  );
  return ok(view);
}

const authorName = sql<string | null>`coalesce(
  (select name from ${users} where ${users.id} = ${conversationNotes.authorUserId}),
  (select name from ${apiKeys} where ${apiKeys.id} = ${conversationNotes.authorApiKeyId}))`;

/** A conversation's notes, oldest first. */
/** A conversation's notes, oldest first, as a read to batch with others. */
export function notesRead(conversationId: string): Reads<NoteView[]> {
  return mapRead(
    readQuery((db) =>
      db.select({ note: conversationNotes, name: authorName }).from(conversationNotes)
        .where(eq(conversationNotes.conversationId, conversationId))
        .orderBy(asc(conversationNotes.createdAt), asc(conversationNotes.id))
    ),
    (rows) => rows.map((r) => noteView(r.note, r.name)),
  );
}

export function notesOf(s: Services, conversationId: string): Promise<NoteView[]> {
  return runReads(s.database, notesRead(conversationId));
}
