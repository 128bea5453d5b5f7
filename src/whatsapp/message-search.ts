import { type SQL, sql } from "drizzle-orm";
import { messages } from "../../db/schema/index.ts";
import { matchesEveryWord } from "../platform/db/query-helpers.ts";

/**
 * What message search looks in: the readable text, lower-cased and without accents. Exactly the
 * expression of the `messages_body_search_idx` trigram index, which is what lets the planner use it.
 */
export const messageSearchText = sql`f_unaccent(lower(${messages.body}))`;

/** Messages holding every word of `q`, in any order, case and accents ignored. */
export function messageMatches(q: string): SQL {
  return matchesEveryWord(messageSearchText, q);
}
