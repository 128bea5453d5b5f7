/**
 * RFC 4180 CSV cells and rows, safe to open in a spreadsheet.
 *
 * Formula injection: a spreadsheet runs a cell that starts with = + - @ (or tab / CR) as a
 * formula, so such a cell gets a leading apostrophe, which spreadsheets read as "this is text".
 * Values that are plainly numbers or phone numbers ("+5511987654321", "-3.5",
 * "+55 (11) 98765-4321") are left alone: they cannot call anything, and people re-import phones.
 */

/** Prepend to a CSV document so Excel reads it as UTF-8 (accents). */
export const CSV_BOM = "\uFEFF";

const RISKY_START = /^[=+\-@\t\r]/;
/** -3.5, +42, 1,5 (a decimal comma), .5, 1e-3 */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?$/;
/** +55 11 98765-4321, +1 (555) 123-4567, +44.20.7946.0958: digits, spaces, ( ) . - after a plus. */
const PHONE = /^\+\d[\d ().-]*\d$/;
const NEEDS_QUOTES = /[",\r\n]/;

function isPlainNumberOrPhone(value: string): boolean {
  if (PLAIN_NUMBER.test(value)) return true;
  if (!PHONE.test(value)) return false;
  const digits = value.replace(/\D/g, "").length;
  return digits >= 6 && digits <= 15;
}

/** One cell: guarded against formula injection, quoted when it holds `"`, `,`, CR or LF. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (RISKY_START.test(s) && !isPlainNumberOrPhone(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, CRLF-terminated (so rows concatenate into a document). */
export function csvRow(cells: readonly (string | number | boolean | null | undefined)[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}
