import { uuidv7 } from "../../core/ids.ts";
import { storableText, textFault, type TextFaultKind } from "../../core/storable-text.ts";
import { toE164 } from "../../whatsapp/phone.ts";
import type { ColumnPlan } from "./import-columns.ts";

/** A valid row, ready to upsert. `row` is its line in the file (the header is line 1). */
export interface ImportRow {
  id: string;
  row: number;
  phone: string;
  name: string | null;
  email: string | null;
  tags: string[];
  attributes: Record<string, string>;
  opt_in: boolean | null;
  blocked: boolean | null;
}

export interface RowError {
  id: string;
  row: number;
  field: string;
  reason: string;
  value: string | null;
}

export interface Chunk {
  rows: ImportRow[];
  errors: RowError[];
}

export const CHUNK_ROWS = 1000;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TAG_SEPARATORS = /[,;|]/;

/** A cell the database cannot store is a row error, never a failed statement (src/core/storable-text.ts). */
const faultReason: Record<TextFaultKind, string> = {
  nul: "contains a NUL character (U+0000)",
  surrogate: "contains an unpaired UTF-16 surrogate (not valid Unicode)",
};

const yes = new Set(["1", "true", "yes", "y", "sim", "s", "x", "verdadeiro"]);
const no = new Set(["0", "false", "no", "n", "nao", "não", "falso"]);

/** Our export prefixes `'` to cells a spreadsheet would run as formulas; reading them back drops it. */
const unguard = (v: string) => (/^'[=+\-@]/.test(v) ? v.slice(1) : v);

function flag(v: string): boolean | null | undefined {
  const n = v.trim().toLowerCase();
  if (n === "") return null;
  if (yes.has(n)) return true;
  if (no.has(n)) return false;
  return undefined;
}

/**
 * Checks every row of a file and splits it into chunks. `lines` says where each row is in the
 * file (the table reader's `lines`); without it, row `i` is taken to be line `i + 2`. A row with any problem is reported
 * (row, field, reason) and not imported; a phone that appears twice is imported once, from its
 * first row. Everything that needs no database happens here, when the file arrives, so the
 * jobs that follow only write.
 */
export function prepareRows(
  rows: string[][],
  plan: ColumnPlan,
  lines?: number[],
): { chunks: Chunk[]; valid: number; failed: number } {
  const chunks: Chunk[] = [];
  const firstRowOf = new Map<string, number>();
  let current: Chunk = { rows: [], errors: [] };
  let valid = 0;
  let failed = 0;
  const cell = (r: string[], i: number | undefined) => unguard(i === undefined ? "" : (r[i] ?? "").trim());

  rows.forEach((r, index) => {
    const line = lines?.[index] ?? index + 2;
    const errors: RowError[] = [];
    // Cut before making storable: a cut may split a surrogate pair.
    const bad = (field: string, reason: string, value: string | null) =>
      errors.push({
        id: uuidv7(),
        row: line,
        field,
        reason,
        value: value === null ? null : storableText(value.slice(0, 200)),
      });
    /** The cell of `field`, or `null` (reported) when it holds text the database cannot store. */
    const text = (field: string, i: number | undefined): string | null => {
      const v = cell(r, i);
      const fault = textFault(v);
      if (!fault) return v;
      bad(field, faultReason[fault], v);
      return null;
    };

    const rawPhone = text("phone", plan.fields.phone);
    const phone = rawPhone ? toE164(rawPhone) : null;
    if (rawPhone === "") bad("phone", "missing", null);
    else if (rawPhone !== null && !phone) bad("phone", "not a valid phone number", rawPhone);
    else if (phone && firstRowOf.has(phone)) {
      bad("phone", `same phone as row ${firstRowOf.get(phone)}`, rawPhone);
    }

    const name = text("name", plan.fields.name) ?? "";
    if (name.length > 200) bad("name", "longer than 200 characters", name);
    const email = (text("email", plan.fields.email) ?? "").toLowerCase();
    if (email && (!EMAIL.test(email) || email.length > 254)) bad("email", "not a valid email address", email);

    const tags = [
      ...new Set(
        (text("tags", plan.fields.tags) ?? "").split(TAG_SEPARATORS).map((t) => t.trim()).filter(Boolean),
      ),
    ];
    const longTag = tags.find((t) => t.length > 50);
    if (longTag) bad("tags", "a tag is longer than 50 characters", longTag);

    const optIn = flag(text("opt_in", plan.fields.opt_in) ?? "");
    if (optIn === undefined) bad("opt_in", "not a yes/no value", cell(r, plan.fields.opt_in));
    const blocked = flag(text("blocked", plan.fields.blocked) ?? "");
    if (blocked === undefined) bad("blocked", "not a yes/no value", cell(r, plan.fields.blocked));

    const attributes: Record<string, string> = {};
    for (const [key, i] of Object.entries(plan.attributes)) {
      const v = text(`attributes.${key}`, i);
      if (!v) continue;
      if (v.length > 1000) bad(`attributes.${key}`, "longer than 1000 characters", v);
      else attributes[key] = v;
    }

    if (errors.length > 0) {
      failed++;
      current.errors.push(...errors);
    } else {
      valid++;
      firstRowOf.set(phone!, line);
      current.rows.push({
        id: uuidv7(),
        row: line,
        phone: phone!,
        name: name || null,
        email: email || null,
        tags,
        attributes,
        opt_in: optIn ?? null,
        blocked: blocked ?? null,
      });
    }
    if (current.rows.length + current.errors.length >= CHUNK_ROWS) {
      chunks.push(current);
      current = { rows: [], errors: [] };
    }
  });
  if (current.rows.length > 0 || current.errors.length > 0 || chunks.length === 0) chunks.push(current);
  return { chunks, valid, failed };
}
