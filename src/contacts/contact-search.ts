import { type SQL, sql } from "drizzle-orm";
import { contacts } from "../../db/schema/index.ts";
import { containsPattern } from "../platform/db/query-helpers.ts";

/**
 * What contact search looks in: name, WhatsApp profile name, email and phone, lower-cased and
 * without accents. The expression is exactly the one of the `contacts_search_idx` trigram index,
 * which is what lets the planner use it.
 */
export const contactSearchText =
  sql`f_unaccent(lower(coalesce(${contacts.name}, '') || ' ' || coalesce(${contacts.profileName}, '') || ' ' || coalesce(${contacts.email}, '') || ' ' || ${contacts.phone}))`;

/**
 * Contacts whose name, email or phone contains `q`. A query that looks like a phone number
 * (`(11) 98765-4321`, `+55 11 …`) is searched by its digits, so formatting does not matter.
 */
export function contactMatches(q: string): SQL {
  const trimmed = q.trim();
  const term = /^[\d\s()+.-]+$/.test(trimmed) && /\d/.test(trimmed) ? trimmed.replace(/\D/g, "") : trimmed;
  return sql`${contactSearchText} like f_unaccent(lower(${containsPattern(term)}))`;
}
