import { isValidCnpj, isValidCpf } from "../core/br-documents.ts";
import { findPhoneNumbersInText } from "libphonenumber-js/max";

/**
 * PII redaction before text leaves for a model (LGPD): CPF, CNPJ, payment cards (Luhn-valid),
 * e-mail addresses and phone numbers become placeholders (`[CPF_1]`, `[EMAIL_2]`), and the
 * placeholders the model writes back are put back into its answer. One `Redactor` per call, so
 * the same value gets the same placeholder in every message of a conversation.
 */

export type PiiKind = "CPF" | "CNPJ" | "CARTAO" | "EMAIL" | "TELEFONE";

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

const PATTERNS: [PiiKind, RegExp, (match: string) => boolean][] = [
  ["EMAIL", /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi, () => true],
  ["CNPJ", /(?<!\d)\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}(?!\d)/g, (m) => isValidCnpj(m) || /[.\/-]/.test(m)],
  ["CARTAO", /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g, (m) => luhn(m.replace(/\D/g, ""))],
  [
    "CPF",
    /(?<!\d)\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d)/g,
    (m) => isValidCpf(m) || /^\d{3}\.\d{3}\.\d{3}-\d{2}$/.test(m),
  ],
];

export class Redactor {
  #byValue = new Map<string, string>();
  #byPlaceholder = new Map<string, string>();
  #counts = new Map<PiiKind, number>();

  /** How many distinct values were replaced. */
  get size(): number {
    return this.#byPlaceholder.size;
  }

  #placeholder(kind: PiiKind, value: string): string {
    const known = this.#byValue.get(`${kind}:${value}`);
    if (known) return known;
    const n = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, n);
    const placeholder = `[${kind}_${n}]`;
    this.#byValue.set(`${kind}:${value}`, placeholder);
    this.#byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  redact(text: string): string {
    let out = text;
    for (const [kind, re, accept] of PATTERNS) {
      out = out.replace(re, (m) => (accept(m) ? this.#placeholder(kind, m) : m));
    }
    // Phones last, on what is left: a CPF is never mistaken for a mobile number.
    const phones = findPhoneNumbersInText(out, { defaultCountry: "BR" });
    for (const p of phones.reverse()) {
      const written = out.slice(p.startsAt, p.endsAt);
      out = out.slice(0, p.startsAt) + this.#placeholder("TELEFONE", written) + out.slice(p.endsAt);
    }
    return out;
  }

  /** Puts the values back wherever the model repeated a placeholder. */
  restore(text: string): string {
    if (this.#byPlaceholder.size === 0) return text;
    return text.replace(
      /\[(CPF|CNPJ|CARTAO|EMAIL|TELEFONE)_(\d+)\]/g,
      (m) => this.#byPlaceholder.get(m) ?? m,
    );
  }

  /** `restore` over every string inside a structured answer. */
  restoreDeep<T>(value: T): T {
    if (this.#byPlaceholder.size === 0) return value;
    if (typeof value === "string") return this.restore(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.restoreDeep(v)) as T;
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.restoreDeep(v)])) as T;
    }
    return value;
  }
}
