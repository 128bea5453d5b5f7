/**
 * Brazilian taxpayer numbers: CPF (people, 11 digits) and CNPJ (companies, 14 digits), checked
 * by their two check digits (mod 11). The one implementation for the whole code base: the AI's
 * entity extraction and PII redaction use it, and so should the ERP lookups.
 */

const onlyDigits = (s: string) => s.replace(/\D/g, "");

/** Every digit the same (`111.111.111-11`) passes the arithmetic but is never issued. */
const repeated = (d: string) => /^(\d)\1*$/.test(d);

function checkDigit(digits: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * weights[i];
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

const CPF_W1 = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_W2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/** A CPF, with or without its punctuation, whose check digits are right. */
export function isValidCpf(input: string): boolean {
  const d = onlyDigits(input);
  if (d.length !== 11 || repeated(d)) return false;
  return checkDigit(d, CPF_W1) === Number(d[9]) && checkDigit(d, CPF_W2) === Number(d[10]);
}

/** A CNPJ, with or without its punctuation, whose check digits are right. */
export function isValidCnpj(input: string): boolean {
  const d = onlyDigits(input);
  if (d.length !== 14 || repeated(d)) return false;
  return checkDigit(d, CNPJ_W1) === Number(d[12]) && checkDigit(d, CNPJ_W2) === Number(d[13]);
}

/** `12345678909` → `123.456.789-09`. */
export function formatCpf(input: string): string {
  const d = onlyDigits(input);
  return `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9, 11)}`;
}

/** `11222333000181` → `11.222.333/0001-81`. */
export function formatCnpj(input: string): string {
  const d = onlyDigits(input);
  return `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12, 14)}`;
}

/** Which document a string is, when its digits check out. */
export function brDocumentKind(input: string): "cpf" | "cnpj" | null {
  if (isValidCpf(input)) return "cpf";
  if (isValidCnpj(input)) return "cnpj";
  return null;
}

/** The check digits a 9-digit CPF base (or 12-digit CNPJ base) needs: for tests and fixtures. */
export function completeCpf(base9: string): string {
  const b = onlyDigits(base9).slice(0, 9);
  const d1 = checkDigit(b, CPF_W1);
  return b + d1 + checkDigit(b + d1, CPF_W2);
}

export function completeCnpj(base12: string): string {
  const b = onlyDigits(base12).slice(0, 12);
  const d1 = checkDigit(b, CNPJ_W1);
  return b + d1 + checkDigit(b + d1, CNPJ_W2);
}
