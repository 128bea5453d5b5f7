import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { contactImportChunks, contactImportErrors, contactImports } from "../../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../../audit/audit-log.ts";
import type { Principal } from "../../auth/principal.ts";
import { sha256Hex } from "../../core/crypto.ts";
import { uuidv7 } from "../../core/ids.ts";
import { storableText } from "../../core/storable-text.ts";
import { fail, ok, type Result } from "../../core/result.ts";
import { offsetOf, type PageParams } from "../../http/pagination.ts";
import { pageAndTotal } from "../../platform/db/query-helpers.ts";
import type { Services } from "../../services.ts";
import { applyImportChunk, nextChunk } from "./apply-import-chunk.ts";
import { phoneHeaderNames, planColumns } from "./import-columns.ts";
import { prepareRows } from "./prepare-import.ts";
import { readTable } from "./read-table.ts";

export const MAX_IMPORT_ROWS = 100_000;
/** Chunk rows per insert statement when the file arrives (a few hundred KB of JSON each). */
const CHUNKS_PER_STATEMENT = 5;
/** How long one job run applies chunks before handing over to the next run (Workers' CPU limits). */
const RUN_BUDGET_MS = 15_000;

type ImportRow = typeof contactImports.$inferSelect;

export function importView(i: ImportRow) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: i.id,
    status: i.status,
    file_name: i.fileName,
    format: i.format,
    file_sha256: i.fileSha256,
    columns: i.columns,
    total_rows: i.totalRows,
    processed: i.processed,
    created: i.created,
    updated: i.updated,
    unchanged: i.unchanged,
    failed: i.failed,
    progress: i.totalRows === 0 ? 1 : Math.round((i.processed / i.totalRows) * 1000) / 1000,
    error: i.error,
    created_at: i.createdAt.toISOString(),
    started_at: iso(i.startedAt),
    completed_at: iso(i.completedAt),
  };
}

export type ImportView = ReturnType<typeof importView>;

export interface UploadedFile {
  bytes: Uint8Array;
  name?: string;
  type?: string;
}

/**
 * Accepts a CSV or XLSX of contacts: reads and checks every row now (a file that is not a table,
 * or has no phone column, is refused with a 4xx before anything is stored), stores the rows in
 * chunks and queues the job that applies them. The same file sent again answers the import it
 * already made (`reused`), unless `force` asks for a new run.
 */
export async function startImport(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  file: UploadedFile,
  opts: { force?: boolean } = {},
): Promise<Result<{ import: ImportView; reused: boolean }>> {
  const tenantId = p.tenantId!;
  const sha = await sha256Hex(file.bytes);
  const id = uuidv7();
  const dedupeKey = opts.force ? `${sha}:${id}` : sha;
  const existing = await byDedupeKey(s, tenantId, dedupeKey);
  if (existing) return ok({ import: importView(existing), reused: true });

  const table = await readTable(file.bytes, { filename: file.name, contentType: file.type }, {
    maxRows: MAX_IMPORT_ROWS,
    lineNumbers: true,
  });
  if (!table.ok) return table as Result<never>;
  const plan = planColumns(table.value.header);
  if (plan.fields.phone === undefined) {
    return fail(
      "validation_failed",
      `The file has no phone column. Name one of its columns ${
        phoneHeaderNames.slice(0, 5).map((n) => `"${n}"`).join(", ")
      }…; found: ${table.value.header.filter(Boolean).map((h) => `"${h}"`).join(", ") || "no headers"}`,
      { errors: [{ path: "body.file", message: "No phone column" }] },
    );
  }
  const { chunks } = prepareRows(table.value.rows, plan, table.value.lines);
  const now = s.clock.now();
  const row: ImportRow = {
    id,
    tenantId,
    createdBy: p.kind === "user" ? p.userId : null,
    dedupeKey,
    fileName: file.name === undefined ? null : storableText(file.name.slice(0, 255)),
    fileSha256: sha,
    format: table.value.format,
    columns: plan.mapping,
    status: "queued",
    totalRows: table.value.rows.length,
    chunksTotal: chunks.length,
    chunksDone: 0,
    processed: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    error: null,
    startedAt: null,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const chunkRows = chunks.map((c, seq) => ({
    id: uuidv7(),
    importId: id,
    tenantId,
    seq,
    rows: c.rows,
    errors: c.errors,
  }));
  try {
    // The import and all its rows are stored together: a half-stored import cannot exist.
    await s.database.atomic((db) => {
      const groups = [];
      for (let i = 0; i < chunkRows.length; i += CHUNKS_PER_STATEMENT) {
        groups.push(db.insert(contactImportChunks).values(chunkRows.slice(i, i + CHUNKS_PER_STATEMENT)));
      }
      return [
        db.insert(contactImports).values(row),
        ...groups,
        auditInsert(db, meta, {
          action: "contact.import",
          targetType: "contact_import",
          targetId: id,
          metadata: {
            file_name: row.fileName,
            sha256: sha,
            rows: row.totalRows,
            forced: opts.force === true,
          },
        }, now),
      ] as const;
    });
  } catch (err) {
    // The same file, uploaded at the same moment by someone else: theirs is the import.
    const theirs = await byDedupeKey(s, tenantId, dedupeKey);
    if (theirs) return ok({ import: importView(theirs), reused: true });
    throw err;
  }
  await s.jobs.enqueue("contacts.import", { import_id: id }, { dedupeId: `contacts.import:${id}:0` });
  return ok({ import: importView(row), reused: false });
}

async function byDedupeKey(s: Services, tenantId: string, key: string): Promise<ImportRow | undefined> {
  const [row] = await s.database.db.select().from(contactImports)
    .where(and(eq(contactImports.tenantId, tenantId), eq(contactImports.dedupeKey, key)));
  return row;
}

export async function findImport(s: Services, p: Principal, id: string): Promise<ImportRow | undefined> {
  const [row] = await s.database.db.select().from(contactImports)
    .where(and(eq(contactImports.id, id), eq(contactImports.tenantId, p.tenantId!)));
  return row;
}

export async function listImports(s: Services, p: Principal, q: PageParams) {
  const where = eq(contactImports.tenantId, p.tenantId!);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(contactImports).where(where)
        .orderBy(desc(contactImports.createdAt)).limit(q.limit).offset(offsetOf(q)),
    contactImports,
    where,
  );
  return { data: rows.map(importView), total };
}

/** The per-row report: row (its line in the file), field, reason and the offending value. */
export async function importErrors(s: Services, importId: string, q: PageParams) {
  const where = eq(contactImportErrors.importId, importId);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(contactImportErrors).where(where)
        .orderBy(asc(contactImportErrors.row), asc(contactImportErrors.id)).limit(q.limit).offset(
          offsetOf(q),
        ),
    contactImportErrors,
    where,
  );
  return { data: rows.map((e) => ({ row: e.row, field: e.field, reason: e.reason, value: e.value })), total };
}

/**
 * The import job: applies chunks in order until none are left, or until its time budget is spent
 * and it queues its own continuation. Chunks are claimed by deleting them, so a retried or
 * duplicated run never applies one twice. When the last attempt fails the import says so.
 */
export function registerImportJobs(s: Services): void {
  s.jobRegistry.register("contacts.import", z.object({ import_id: z.uuid() }), async ({ import_id }, ctx) => {
    const [imp] = await s.database.db.select().from(contactImports).where(eq(contactImports.id, import_id));
    if (!imp || imp.status === "completed" || imp.status === "failed") return;
    const started = performance.now();
    try {
      for (;;) {
        const chunkId = await nextChunk(s, import_id);
        if (!chunkId) break;
        const after = await applyImportChunk(s, imp, chunkId);
        if (after?.status === "completed") {
          const [done] = await s.database.db.select().from(contactImports).where(
            eq(contactImports.id, import_id),
          );
          await s.events.publish("contact.import_completed", imp.tenantId, { import: importView(done) });
          return;
        }
        if (performance.now() - started > RUN_BUDGET_MS) {
          await s.jobs.enqueue("contacts.import", { import_id }, {
            dedupeId: `contacts.import:${import_id}:${after?.chunksDone ?? "x"}`,
          });
          return;
        }
      }
    } catch (err) {
      if (ctx.attempt >= ctx.maxAttempts) {
        await s.database.db.update(contactImports).set({
          status: "failed",
          error:
            "The import stopped on a database error; the rows applied so far are kept. Upload the file again with force=true to finish it.",
          updatedAt: s.clock.now(),
        }).where(eq(contactImports.id, import_id));
      }
      throw err;
    }
    // No chunk left but not marked completed (a file of only a header): close it.
    await s.database.db.update(contactImports).set({
      status: "completed",
      completedAt: s.clock.now(),
      updatedAt: s.clock.now(),
    }).where(and(eq(contactImports.id, import_id), sql`${contactImports.status} <> 'completed'`));
  });
}
