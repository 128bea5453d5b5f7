import { asc, eq, sql } from "drizzle-orm";
import { contactImportChunks, contactImports } from "../../../db/schema/index.ts";
import { arrayWith } from "../../platform/db/query-helpers.ts";
import type { Services } from "../../services.ts";

export type ImportRowStatus = typeof contactImports.$inferSelect;

/**
 * Applies one chunk of an import in a single statement: the chunk is deleted (so a chunk is
 * applied once, however many workers or retries reach it), its rows are upserted by phone, its
 * row errors recorded and the import's counters moved, all or nothing.
 *
 * On an existing contact an empty cell keeps what is there: names and emails are filled, tags
 * are added to the ones it has, attributes merged; a row that changes nothing counts as
 * unchanged. `blocked` is written only from a non-empty cell of a `blocked` column.
 */
export async function applyImportChunk(
  s: Services,
  imp: Pick<ImportRowStatus, "id" | "tenantId" | "columns">,
  chunkId: string,
): Promise<{ status: ImportRowStatus["status"]; chunksDone: number } | undefined> {
  const now = s.clock.now().toISOString();
  const hasBlocked = Object.values(imp.columns).includes("blocked");
  const next = {
    name: sql`coalesce(excluded.name, c.name)`,
    email: sql`coalesce(excluded.email, c.email)`,
    tags: arrayWith(sql`c.tags`, sql`excluded.tags`),
    attributes: sql`c.attributes || excluded.attributes`,
    optIn: sql`coalesce(excluded.opt_in, c.opt_in)`,
    // `excluded.blocked` is false for an empty cell too (the column is not null): the rows whose
    // cell was empty are looked up, so that those keep the contact's flag like any empty cell.
    blocked: hasBlocked
      ? sql`case when ((select coalesce(jsonb_object_agg(id::text, true), '{}'::jsonb) from src
          where blocked is null) -> excluded.id::text) is null then excluded.blocked else c.blocked end`
      : sql`c.blocked`,
  };
  const [row] = await s.database.rows<{ status: ImportRowStatus["status"]; chunks_done: number }>(sql`
    with claim as (
      delete from ${contactImportChunks} where id = ${chunkId} and import_id = ${imp.id}
      returning rows, errors
    ),
    src as (
      select r.* from claim, jsonb_to_recordset(claim.rows) as r(
        id uuid, row int, phone text, name text, email text, tags jsonb, attributes jsonb,
        opt_in boolean, blocked boolean)
    ),
    up as (
      insert into contacts as c (id, tenant_id, phone, wa_id, name, email, tags, attributes, opt_in,
        opt_in_at, opt_out_at, blocked, created_at, updated_at)
      select id, ${imp.tenantId}::uuid, phone, substr(phone, 2), name, email,
        array(select jsonb_array_elements_text(tags)), coalesce(attributes, '{}'::jsonb), opt_in,
        case when opt_in is true then ${now}::timestamptz end,
        case when opt_in is false then ${now}::timestamptz end,
        coalesce(blocked, false), ${now}::timestamptz, ${now}::timestamptz
      from src
      on conflict (tenant_id, phone) where deleted_at is null do update set
        name = ${next.name},
        email = ${next.email},
        tags = ${next.tags},
        attributes = ${next.attributes},
        opt_in = ${next.optIn},
        opt_in_at = case when excluded.opt_in is true and c.opt_in is not true then ${now}::timestamptz else c.opt_in_at end,
        opt_out_at = case when excluded.opt_in is false and c.opt_in is distinct from false then ${now}::timestamptz else c.opt_out_at end,
        blocked = ${next.blocked},
        updated_at = ${now}::timestamptz
      where (c.name, c.email, c.tags, c.attributes, c.opt_in, c.blocked) is distinct from
        (${next.name}, ${next.email}, ${next.tags}, ${next.attributes}, ${next.optIn}, ${next.blocked})
      returning (xmax = 0) as inserted
    ),
    errs as (
      insert into contact_import_errors (id, import_id, tenant_id, row, field, reason, value)
      select e.id, ${imp.id}::uuid, ${imp.tenantId}::uuid, e.row, e.field, e.reason, e.value
      from claim, jsonb_to_recordset(claim.errors) as e(id uuid, row int, field text, reason text, value text)
    ),
    n as (
      select
        (select count(*) from src)::int as n_valid,
        (select count(distinct e->>'row') from claim, jsonb_array_elements(claim.errors) as e)::int as n_failed,
        (select count(*) from up where inserted)::int as n_created,
        (select count(*) from up where not inserted)::int as n_updated
    )
    update contact_imports set
      chunks_done = chunks_done + 1,
      processed = processed + n.n_valid + n.n_failed,
      created = created + n.n_created,
      updated = updated + n.n_updated,
      unchanged = unchanged + n.n_valid - n.n_created - n.n_updated,
      failed = failed + n.n_failed,
      status = case when chunks_done + 1 >= chunks_total then 'completed' else 'processing' end,
      started_at = coalesce(started_at, ${now}::timestamptz),
      completed_at = case when chunks_done + 1 >= chunks_total then ${now}::timestamptz end,
      updated_at = ${now}::timestamptz
    from n
    where contact_imports.id = ${imp.id} and exists (select 1 from claim)
    returning contact_imports.status, contact_imports.chunks_done`);
  return row && { status: row.status, chunksDone: row.chunks_done };
}

/** The import's next waiting chunk, lowest sequence first. */
export async function nextChunk(s: Services, importId: string): Promise<string | undefined> {
  const [c] = await s.database.db.select({ id: contactImportChunks.id }).from(contactImportChunks)
    .where(eq(contactImportChunks.importId, importId)).orderBy(asc(contactImportChunks.seq)).limit(1);
  return c?.id;
}
