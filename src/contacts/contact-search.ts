import { type SQL, sql } from "drizzle-orm";
import { contacts } from "../../db/schema/index.ts";
import { matchesEveryWord } from "../platform/db/query-helpers.ts";

/**
 * What contact search looks in: name, WhatsApp profile name, email and phone, lower-cased and
 * without accents. The expression is exactly the one of the `contacts_search_idx` trigram index,
 * which is what lets the planner use it.
 */
export const contactSearchText =
  sql`f_unaccent(lower(coalesce(${contacts.name}, '') || ' ' || coalesce(${contacts.profileName}, '') || ' ' || coalesce(${contacts.email}, '') || ' ' || ${contacts.phone}))`;

const PHONE_LIKE = /^[\d\s()+.-]+$/;
const phoneLike = (s: string) => PHONE_LIKE.test(s) && /\d/.test(s);

/**
 * Contacts whose name, email or phone hold every word of `q`, in any order (`silva joao` finds
 * "João da Silva"). A query that looks like a phone number (`(11) 98765-4321`, `+55 11 …`) is one
 * term, its digits, so formatting does not matter; so is each phone-like word of a longer query.
 */
export function contactMatches(q: string): SQL {
  const trimmed = q.trim();
  if (phoneLike(trimmed)) return matchesEveryWord(contactSearchText, trimmed.replace(/\D/g, ""));
  return matchesEveryWord(contactSearchText, trimmed, (w) => (phoneLike(w) ? w.replace(/\D/g, "") : w));
}
