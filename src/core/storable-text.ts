/**
 * Text that PostgreSQL cannot store. `text` and `jsonb` refuse U+0000 outright (the statement
 * fails), and a lone UTF-16 surrogate has no UTF-8 form at all: PGlite and postgres.js quietly
 * store U+FFFD instead, while Neon's HTTP endpoint refuses the JSON that carries it. Input is
 * checked for both once, where it enters (the validation hook, the CSV reader, the inbound
 * webhook parser), so no statement ever fails or silently changes what it was given.
 */

export type TextFaultKind = "nul" | "surrogate";

/** What an API error says of each fault. */
export const textFaultMessage: Record<TextFaultKind, string> = {
  nul: "Must not contain the NUL character (U+0000)",
  surrogate: "Must be valid Unicode: it contains an unpaired UTF-16 surrogate",
};

/** Why `s` cannot be stored as it is, or `undefined` when it can. */
export function textFault(s: string): TextFaultKind | undefined {
  if (s.includes("\0")) return "nul";
  if (!s.isWellFormed()) return "surrogate";
  return undefined;
}

/** `s` with NULs and lone surrogates replaced by U+FFFD: for text we must keep, not refuse. */
export function storableText(s: string): string {
  return s.includes("\0") ? s.replaceAll("\0", "\uFFFD").toWellFormed() : s.toWellFormed();
}

export interface TextFault {
  /** Dotted path from the root of `value` (`contact.name`, `tags.2`, `attributes.<key>`). */
  path: string[];
  message: string;
}

/** At most this many faults are reported for one value; a hostile body may hold thousands. */
const MAX_FAULTS = 20;

/**
 * Every string of a JSON-like value (object keys included: they become `jsonb` keys) that cannot
 * be stored. Files, dates and other class instances are not looked into.
 */
export function textFaults(value: unknown, path: string[] = [], out: TextFault[] = []): TextFault[] {
  if (out.length >= MAX_FAULTS) return out;
  if (typeof value === "string") {
    const fault = textFault(value);
    if (fault) out.push({ path, message: textFaultMessage[fault] });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length && out.length < MAX_FAULTS; i++) {
      textFaults(value[i], [...path, String(i)], out);
    }
  } else if (value !== null && typeof value === "object" && isPlain(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (out.length >= MAX_FAULTS) break;
      const keyFault = textFault(k);
      // A key that cannot be stored is named as its path would print; the message says what is wrong.
      if (keyFault) {
        out.push({ path: [...path, storableText(k)], message: `The key: ${textFaultMessage[keyFault]}` });
      } else textFaults(v, [...path, k], out);
    }
  }
  return out;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A NUL or a surrogate, escaped, in JSON text: only then can parsing yield text to clean. */
const ESCAPED_FAULT = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * `JSON.parse` whose strings are all storable (`storableText`): for payloads we must keep
 * whatever they hold, like an acknowledged provider webhook. Plain parsing when nothing needs it.
 */
export function parseStorableJson(raw: string): unknown {
  if (!ESCAPED_FAULT.test(raw) && !raw.includes("\0")) return JSON.parse(raw);
  return JSON.parse(raw, (_key, v) => (typeof v === "string" ? storableText(v) : v));
}
