import { and, asc, gt, sql } from "drizzle-orm";
import { contacts } from "../../db/schema/index.ts";
import type { Principal } from "../auth/principal.ts";
import { CSV_BOM, csvRow } from "../core/csv.ts";
import type { Services } from "../services.ts";
import { contactFilter, type ContactFilters } from "./manage-contacts.ts";

const PAGE = 1000;
/** Custom attribute columns at most; more keys than this is not a spreadsheet anyone reads. */
const MAX_ATTRIBUTE_COLUMNS = 200;

export const exportColumns = [
  "phone",
  "name",
  "email",
  "tags",
  "opt_in",
  "blocked",
  "profile_name",
  "wa_id",
  "opt_in_at",
  "opt_out_at",
  "created_at",
  "updated_at",
  "id",
] as const;

/**
 * The tenant's contacts as CSV, streamed: pages of a thousand read by keyset (the id is
 * time-ordered) as the client consumes them, so 100,000 contacts never sit in memory. Custom
 * attributes get a column each (`attributes.<key>`), which is also what the import reads back.
 */
export async function exportContactsCsv(
  s: Services,
  p: Principal,
  filters: ContactFilters,
): Promise<ReadableStream<Uint8Array>> {
  const where = contactFilter(p, filters);
  const keys = (await s.database.rows<{ key: string }>(sql`
    select distinct jsonb_object_keys(${contacts.attributes}) as key from ${contacts} where ${where}
    order by 1 limit ${MAX_ATTRIBUTE_COLUMNS}`)).map((r) => r.key);
  const encoder = new TextEncoder();
  let after: string | null = null;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(
          encoder.encode(CSV_BOM + csvRow([...exportColumns, ...keys.map((k) => `attributes.${k}`)])),
        );
        return;
      }
      const rows = await s.database.db.select().from(contacts)
        .where(after ? and(where, gt(contacts.id, after)) : where)
        .orderBy(asc(contacts.id)).limit(PAGE);
      if (rows.length === 0) {
        controller.close();
        return;
      }
      after = rows[rows.length - 1].id;
      let text = "";
      for (const c of rows) {
        text += csvRow([
          c.phone,
          c.name,
          c.email,
          c.tags.join(", "),
          c.optIn === null ? "" : c.optIn ? "true" : "false",
          c.blocked ? "true" : "false",
          c.profileName,
          c.waId,
          c.optInAt?.toISOString(),
          c.optOutAt?.toISOString(),
          c.createdAt.toISOString(),
          c.updatedAt.toISOString(),
          c.id,
          ...keys.map((k) => {
            const v = c.attributes[k];
            return v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
          }),
        ]);
      }
      controller.enqueue(encoder.encode(text));
      if (rows.length < PAGE) controller.close();
    },
  }, { highWaterMark: 1 });
}
