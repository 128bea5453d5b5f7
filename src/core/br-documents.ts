/**
 * Brazilian taxpayer documents, as customers type them: CPF (people, 11 digits) and CNPJ
 * (companies, 14 characters). Both end in two check digits (mod 11), so a mistyped number is
 * caught before any ERP or model is asked. Since July 2026 new CNPJs may carry letters in their
 * first 12 positions (Receita Federal's alphanumeric CNPJ, IN RFB 2.229/2024): a character counts
 * as its ASCII code minus 48, so the digits keep their value and the old numbers stay valid.
 * The one implementation for the code base: ERP lookups, the AI's entities and PII redaction,
 * the flows' CPF questions.
 */

export type DocumentType = "cpf" | "cnpj";

export interface TaxDocument {
  type: DocumentType;
  /** Digits (and, for new CNPJs, upper-case letters) without punctuation. */
  value: string;
}

const value = (ch: string) => ch.charCodeAt(0) - 48;

function mod11Digit(chars: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < chars.length; i++) sum += value(chars[i]) * weights[i];
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

const CPF_W1 = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_W2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

export function cpfCheckDigits(base9: string): string {
  const d1 = mod11Digit(base9, CPF_W1);
  const d2 = mod11Digit(base9 + d1, CPF_W2);
  return `${d1}${d2}`;
}

export function cnpjCheckDigits(base12: string): string {
  const d1 = mod11Digit(base12, CNPJ_W1);
  const d2 = mod11Digit(base12 + d1, CNPJ_W2);
  return `${d1}${d2}`;
}

/** Punctuation and spaces as people type them (`123.456.789-09`, `12 345 678/0001-95`). */
const bare = (input: string) => input.trim().toUpperCase().replace(/[\s./-]/g, "");

/** A CPF, with or without its punctuation, whose check digits are right. */
export function isValidCpf(input: string): boolean {
  const digits = bare(input);
  // Every digit the same (`111.111.111-11`) passes the arithmetic but is never issued.
  if (!/^\d{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  return cpfCheckDigits(digits.slice(0, 9)) === digits.slice(9);
}

/** A CNPJ (numeric or alphanumeric), with or without its punctuation, whose check digits are right. */
export function isValidCnpj(input: string): boolean {
  const chars = bare(input);
  if (!/^[0-9A-Z]{12}\d{2}$/.test(chars) || /^(\d)\1{13}$/.test(chars)) return false;
  return cnpjCheckDigits(chars.slice(0, 12)) === chars.slice(12);
}

export type ParsedDocument =
  | { ok: true; document: TaxDocument }
  | { ok: false; reason: string };

/**
 * A CPF or CNPJ as typed (`123.456.789-09`, `12 345 678/0001-95`, `12ABC34501DE35`): the
 * punctuation is dropped, the length says which it is and the check digits must hold.
 */
export function parseDocument(input: string): ParsedDocument {
  const raw = bare(input);
  if (!/^[0-9A-Z]+$/.test(raw)) return { ok: false, reason: "Only digits, letters and . / - are allowed" };
  if (raw.length === 11) {
    if (!/^\d+$/.test(raw)) return { ok: false, reason: "A CPF has digits only" };
    return isValidCpf(raw)
      ? { ok: true, document: { type: "cpf", value: raw } }
      : { ok: false, reason: "Not a valid CPF: the check digits do not match" };
  }
  if (raw.length === 14) {
    return isValidCnpj(raw)
      ? { ok: true, document: { type: "cnpj", value: raw } }
      : { ok: false, reason: "Not a valid CNPJ: the check digits do not match" };
  }
  return { ok: false, reason: "A CPF has 11 digits and a CNPJ 14 characters" };
}

/** `123.456.789-09` / `12.345.678/0001-95`: how IXC stores them and people read them. */
export function formatDocument(d: TaxDocument): string {
  const v = d.value;
  return d.type === "cpf"
    ? `${v.slice(0, 3)}.${v.slice(3, 6)}.${v.slice(6, 9)}-${v.slice(9)}`
    : `${v.slice(0, 2)}.${v.slice(2, 5)}.${v.slice(5, 8)}/${v.slice(8, 12)}-${v.slice(12)}`;
}

/**
 * A document for logs and answers that do not need it whole (LGPD): a CPF keeps the three
 * digits after the first group and the check digits (`***.456.789-**` style, as the Receita
 * publishes them), a CNPJ (public data) is kept.
 */
export function maskDocument(d: TaxDocument): string {
  if (d.type === "cnpj") return formatDocument(d);
  const v = d.value;
  return `***.${v.slice(3, 6)}.${v.slice(6, 9)}-**`;
}

/** A document found in free text (an ERP answer, a URL being logged) masked in place. */
export function maskDocumentsIn(text: string): string {
  return text.replace(
    /(?<![\dA-Z])(\d{3})\.?(\d{3})\.?(\d{3})-?(\d{2})(?![\dA-Z])/g,
    (m, a, b, c, d) => isValidCpf(`${a}${b}${c}${d}`) ? `***.${b}.${c}-**` : m,
  );
}

/**
 * A document read from an ERP (masked or not); null when it is neither a CPF nor a CNPJ. ERPs
 * that keep it in a number column lose the leading zeros: digits one or two short are padded.
 */
export function documentOf(raw: unknown): TaxDocument | null {
  if (typeof raw !== "string" && typeof raw !== "number") return null;
  let text = String(raw).trim().toUpperCase().replace(/[\s./-]/g, "");
  if (/^\d{9,10}$/.test(text)) text = text.padStart(11, "0");
  else if (/^\d{12,13}$/.test(text)) text = text.padStart(14, "0");
  const parsed = parseDocument(text);
  return parsed.ok ? parsed.document : null;
}

/** `12345678909` → `123.456.789-09`. */
export const formatCpf = (input: string): string => formatDocument({ type: "cpf", value: bare(input) });

/** `11222333000181` → `11.222.333/0001-81`. */
export const formatCnpj = (input: string): string => formatDocument({ type: "cnpj", value: bare(input) });

/** Which document a string is, when its check digits hold. */
export function brDocumentKind(input: string): DocumentType | null {
  const parsed = parseDocument(input);
  return parsed.ok ? parsed.document.type : null;
}

/** A 9-digit CPF base (or a 12-character CNPJ base) with its check digits: for tests and fixtures. */
export const completeCpf = (base9: string): string => {
  const b = bare(base9).slice(0, 9);
  return b + cpfCheckDigits(b);
};

export const completeCnpj = (base12: string): string => {
  const b = bare(base12).slice(0, 12);
  return b + cnpjCheckDigits(b);
};
