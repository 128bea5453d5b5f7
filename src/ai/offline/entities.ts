import { findPhoneNumbersInText } from "libphonenumber-js/max";
import { formatCnpj, formatCpf, isValidCnpj, isValidCpf } from "../../core/br-documents.ts";
import { toE164 } from "../../whatsapp/phone.ts";
import { fold } from "./normalize.ts";

/**
 * Entities in a customer message, found without a model: CPF and CNPJ (kept only when written
 * like one or named as one; `valid` says whether the check digits agree), e-mail, phone (E.164
 * through libphonenumber-js, Brazil by default), CEP, dates (absolute and the relative words
 * customers use, resolved in the tenant's zone), money (R$) and protocol numbers. Spans found
 * first are masked before the next kinds are looked for, so a CPF is never read as a phone.
 */

export const entityTypes = ["cpf", "cnpj", "email", "phone", "cep", "date", "money", "protocol"] as const;
export type EntityType = typeof entityTypes[number];

export interface Entity {
  type: EntityType;
  /** Normalised: `123.456.789-09`, `+5511987654321`, `2026-03-10`, `99.90`, the protocol's digits. */
  value: string;
  /** As written in the message. */
  text: string;
  start: number;
  end: number;
  /** CPF/CNPJ: the check digits agree. Other kinds are only reported when valid. */
  valid: boolean;
}

export interface ExtractOptions {
  /** "Today" for relative dates ("amanhã", "dia 10"). */
  now?: Date;
  timeZone?: string;
}

const CPF = /(?<![\d.\/-])(\d{3}\.\d{3}\.\d{3}-?\d{2}|\d{3}\s?\d{3}\s?\d{3}\s?-\s?\d{2}|\d{11})(?![\d\/-])/g;
const CNPJ = /(?<![\d.\/-])(\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2})(?![\d\/-])/g;
const EMAIL = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi;
const CEP = /(?<![\d.])(\d{5}-\d{3}|\d{2}\.\d{3}-\d{3})(?![\d-])|\bcep:?\s*(\d{8})\b/gi;
const PROTOCOL =
  /\b(?:protocolo|prot\.?|chamado|ticket|atendimento|os|o\.s\.)\s*(?:n[ºo°.]?|numero|número|#)?\s*:?\s*(\d[\d.\-\/]{3,24}\d)/gi;
const MONEY =
  /R\$\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?|\b(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{2}))?\s?(?:reais|real|conto)\b/gi;
const DATE_NUMERIC = /\b(\d{1,2})[\/.-](\d{1,2})(?:[\/.-](\d{2,4}))?\b/g;
const MONTHS = [
  "janeiro",
  "fevereiro",
  "marco",
  "abril",
  "maio",
  "junho",
  "julho",
  "agosto",
  "setembro",
  "outubro",
  "novembro",
  "dezembro",
];
const DATE_WORDS = new RegExp(
  `\\b(\\d{1,2}) de (${
    MONTHS.join("|")
  })(?: de (\\d{4}))?\\b|\\b(hoje|amanha|depois de amanha|ontem|anteontem)\\b|\\bdia (\\d{1,2})\\b`,
  "g",
);

/** The calendar date (y, m, d) of an instant in a zone. */
function localDate(now: Date, timeZone: string): [number, number, number] {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(now).split("-").map(Number);
  return [parts[0], parts[1], parts[2]];
}

function isoDate(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

function shift([y, m, d]: [number, number, number], days: number): string {
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function extractEntities(text: string, opts: ExtractOptions = {}): Entity[] {
  const found: Entity[] = [];
  const taken: [number, number][] = [];
  const free = (s: number, e: number) => !taken.some(([a, b]) => s < b && e > a);
  const add = (type: EntityType, value: string, start: number, end: number, valid = true) => {
    if (!free(start, end)) return;
    taken.push([start, end]);
    found.push({ type, value, text: text.slice(start, end), start, end, valid });
  };
  const scan = (re: RegExp, fn: (m: RegExpExecArray) => void) => {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) fn(m);
  };
  const folded = fold(text);
  // "cpf" or "cnpj" written in the 30 characters before a number names it, even when it is wrong.
  const named = (start: number, word: string) => folded.slice(Math.max(0, start - 30), start).includes(word);

  scan(EMAIL, (m) => add("email", m[0].toLowerCase(), m.index, m.index + m[0].length));
  scan(PROTOCOL, (m) => {
    const start = m.index + m[0].lastIndexOf(m[1]);
    add("protocol", m[1].replace(/\D/g, ""), start, start + m[1].length);
  });
  scan(CNPJ, (m) => {
    const valid = isValidCnpj(m[1]);
    const punctuated = /[.\/-]/.test(m[1]);
    if (valid || punctuated || named(m.index, "cnpj")) {
      add("cnpj", formatCnpj(m[1]), m.index, m.index + m[1].length, valid);
    }
  });
  scan(CPF, (m) => {
    const valid = isValidCpf(m[1]);
    const punctuated = /[.-]/.test(m[1]);
    // Eleven bare digits are a mobile number as often as a CPF: only a valid or named one is a CPF.
    if (valid || (punctuated && /^\d{3}\.\d{3}\.\d{3}-\d{2}$/.test(m[1])) || named(m.index, "cpf")) {
      add("cpf", formatCpf(m[1]), m.index, m.index + m[1].length, valid);
    }
  });
  scan(CEP, (m) => {
    const raw = m[1] ?? m[2];
    const start = m.index + m[0].lastIndexOf(raw);
    const digits = raw.replace(/\D/g, "");
    add("cep", `${digits.slice(0, 5)}-${digits.slice(5)}`, start, start + raw.length);
  });
  scan(MONEY, (m) => {
    const whole = (m[1] ?? m[3]).replace(/\./g, "");
    const cents = (m[2] ?? m[4] ?? "0").padEnd(2, "0");
    add("money", `${Number(whole)}.${cents}`, m.index, m.index + m[0].length);
  });
  const [y, mo, d] = localDate(opts.now ?? new Date(), opts.timeZone ?? "America/Sao_Paulo");
  scan(DATE_NUMERIC, (m) => {
    const day = Number(m[1]);
    const month = Number(m[2]);
    if (!free(m.index, m.index + m[0].length)) return;
    let year = m[3] ? Number(m[3]) : y;
    if (m[3] && m[3].length === 2) year += 2000;
    if (m[3] && m[3].length === 3) return;
    const iso = isoDate(year, month, day);
    if (iso) add("date", iso, m.index, m.index + m[0].length);
  });
  // Relative words and "10 de março" are looked for in a folded copy with the same offsets:
  // folded one UTF-16 unit at a time, each unit giving exactly one.
  const sameLength = text.split("").map((ch) => fold(ch).slice(0, 1) || " ").join("");
  DATE_WORDS.lastIndex = 0;
  for (let m = DATE_WORDS.exec(sameLength); m; m = DATE_WORDS.exec(sameLength)) {
    let iso: string | null = null;
    if (m[1]) iso = isoDate(m[3] ? Number(m[3]) : y, MONTHS.indexOf(m[2]) + 1, Number(m[1]));
    else if (m[4]) {
      const offset = { hoje: 0, amanha: 1, "depois de amanha": 2, ontem: -1, anteontem: -2 }[m[4]] ?? 0;
      iso = shift([y, mo, d], offset);
    } else if (m[5]) iso = isoDate(y, mo, Number(m[5]));
    if (iso) add("date", iso, m.index, m.index + m[0].length);
  }
  for (const p of findPhoneNumbersInText(text, { defaultCountry: "BR" })) {
    if (!free(p.startsAt, p.endsAt)) continue;
    const e164 = toE164(p.number.number);
    if (e164) add("phone", e164, p.startsAt, p.endsAt);
  }
  return found.sort((a, b) => a.start - b.start);
}
