/**
 * Boletos as FEBRABAN specifies them: the 44-digit bar code and the 47-digit linha digitável
 * people type at the bank (bank boletos), plus the 48-digit line of utility and tax bills
 * ("arrecadação", starting with 8), which some ISPs issue through agreements. ERPs send these as
 * text; we check them (a mangled line is worse than none) and the sandbox ISP makes real ones.
 *
 * Bank bar code: bank (3) · currency 9 · general check digit (mod 11) · due factor (4) ·
 * amount in cents (10) · free field (25). The line splits the free field into three fields, each
 * with a mod 10 check digit, then repeats the general check digit, factor and amount.
 */

function mod10(digits: string): number {
  let sum = 0;
  let weight = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    const p = Number(digits[i]) * weight;
    sum += p > 9 ? Math.floor(p / 10) + (p % 10) : p;
    weight = weight === 2 ? 1 : 2;
  }
  return (10 - (sum % 10)) % 10;
}

/** The bank bar code's general check digit: weights 2..9 from the right; 0, 10 and 11 become 1. */
function mod11Bank(digits: string): number {
  let sum = 0;
  let weight = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    sum += Number(digits[i]) * weight;
    weight = weight === 9 ? 2 : weight + 1;
  }
  const dv = 11 - (sum % 11);
  return dv === 0 || dv === 10 || dv === 11 ? 1 : dv;
}

/** Arrecadação lines with a mod 11 (value identifier 8 or 9): 10 and 11 become 0. */
function mod11Collection(digits: string): number {
  let sum = 0;
  let weight = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    sum += Number(digits[i]) * weight;
    weight = weight === 9 ? 2 : weight + 1;
  }
  const rest = sum % 11;
  return rest === 0 || rest === 1 ? 0 : 11 - rest;
}

const DAY_MS = 86_400_000;
const FACTOR_BASE = Date.UTC(1997, 9, 7);

/**
 * The due-date factor: days since 1997-10-07. It reached 9999 on 2025-02-21 and restarted at
 * 1000 on 2025-02-22 (FEBRABAN), so later dates subtract 9000.
 */
export function dueFactor(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  const days = Math.round((Date.UTC(y, m - 1, d) - FACTOR_BASE) / DAY_MS);
  const factor = days > 9999 ? days - 9000 : days;
  return String(factor).padStart(4, "0");
}

export interface BoletoParts {
  /** FEBRABAN bank code, three digits (`341`, `001`, `756`). */
  bank: string;
  dueDate: string;
  amountCents: number;
  /** The bank's own 25 digits: agency, account, nosso número, wallet. */
  freeField: string;
}

/** The 44-digit bar code of a bank boleto. */
export function bankBarcode(p: BoletoParts): string {
  if (!/^\d{3}$/.test(p.bank) || !/^\d{25}$/.test(p.freeField)) throw new Error("bad boleto parts");
  const amount = String(p.amountCents).padStart(10, "0");
  const withoutDv = `${p.bank}9${dueFactor(p.dueDate)}${amount}${p.freeField}`;
  const dv = mod11Bank(withoutDv);
  return `${withoutDv.slice(0, 4)}${dv}${withoutDv.slice(4)}`;
}

/** The linha digitável (47 digits) of a bank bar code. */
export function bankLineFromBarcode(barcode: string): string {
  const bankCurrency = barcode.slice(0, 4);
  const free = barcode.slice(19);
  const f1 = bankCurrency + free.slice(0, 5);
  const f2 = free.slice(5, 15);
  const f3 = free.slice(15, 25);
  return `${f1}${mod10(f1)}${f2}${mod10(f2)}${f3}${mod10(f3)}${barcode[4]}${barcode.slice(5, 19)}`;
}

/** The bar code behind a bank line (47 digits). */
export function barcodeFromBankLine(line: string): string {
  return `${line.slice(0, 4)}${line[32]}${line.slice(33, 47)}${line.slice(4, 9)}${line.slice(10, 20)}${
    line.slice(21, 31)
  }`;
}

/** `34191.79001 01043.510047 91020.150008 5 84410000002000`: how banks print it. */
export function formatBankLine(line: string): string {
  return `${line.slice(0, 5)}.${line.slice(5, 10)} ${line.slice(10, 15)}.${line.slice(15, 21)} ${
    line.slice(21, 26)
  }.${line.slice(26, 32)} ${line[32]} ${line.slice(33)}`;
}

export type LineCheck =
  | { ok: true; kind: "bank" | "collection"; digits: string; barcode: string }
  | { ok: false; reason: string };

/** Checks a linha digitável as typed or as an ERP sent it (spaces and dots allowed). */
export function checkLine(input: string): LineCheck {
  const digits = input.replace(/[\s.-]/g, "");
  if (!/^\d+$/.test(digits)) return { ok: false, reason: "not digits" };
  if (digits.length === 47) {
    const fields: [string, number][] = [[digits.slice(0, 9), 9], [digits.slice(10, 20), 20], [
      digits.slice(21, 31),
      31,
    ]];
    for (const [field, at] of fields) {
      if (mod10(field) !== Number(digits[at])) return { ok: false, reason: "a field check digit is wrong" };
    }
    const barcode = barcodeFromBankLine(digits);
    if (mod11Bank(barcode.slice(0, 4) + barcode.slice(5)) !== Number(barcode[4])) {
      return { ok: false, reason: "the general check digit is wrong" };
    }
    return { ok: true, kind: "bank", digits, barcode };
  }
  if (digits.length === 48 && digits[0] === "8") {
    // Four blocks of 11 digits, each followed by its check digit; the value identifier (third
    // digit) says which modulus: 6 or 7 → mod 10, 8 or 9 → mod 11.
    const kind = digits[2];
    const check = kind === "6" || kind === "7"
      ? mod10
      : kind === "8" || kind === "9"
      ? mod11Collection
      : null;
    if (!check) return { ok: false, reason: "unknown value identifier" };
    let barcode = "";
    for (let i = 0; i < 4; i++) {
      const block = digits.slice(i * 12, i * 12 + 11);
      if (check(block) !== Number(digits[i * 12 + 11])) {
        return { ok: false, reason: "a block check digit is wrong" };
      }
      barcode += block;
    }
    if (check(barcode.slice(0, 3) + barcode.slice(4)) !== Number(barcode[3])) {
      return { ok: false, reason: "the general check digit is wrong" };
    }
    return { ok: true, kind: "collection", digits, barcode };
  }
  return { ok: false, reason: "a linha digitável has 47 digits (48 for utility bills)" };
}
