import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Phone numbers as WhatsApp sees them. Contacts are stored in E.164; WhatsApp's own `wa_id` is
 * the digits without `+`, and for Brazilian mobiles registered before the ninth digit it may
 * lack that digit, so lookups try both forms.
 */

/**
 * E.164 of what a person typed (checked against the numbering plan: a number that cannot exist
 * is refused) or, with `lenient`, of an id WhatsApp itself sent (only its length is checked:
 * WhatsApp knows its users better than our copy of the numbering plan does).
 */
export function toE164(input: string, opts: { lenient?: boolean } = {}): string | null {
  const trimmed = input.trim();
  // WhatsApp ids arrive without `+`: digits long enough to carry a country code are international.
  const candidate = /^\d{11,15}$/.test(trimmed) ? `+${trimmed}` : trimmed;
  const acceptable = (p: ReturnType<typeof parsePhoneNumberFromString>) =>
    p && (opts.lenient ? p.isPossible() : p.isValid()) ? p : undefined;
  // Digits that are not a valid international number may be a Brazilian one typed without +55.
  const parsed = acceptable(parsePhoneNumberFromString(candidate, "BR")) ??
    (candidate !== trimmed ? acceptable(parsePhoneNumberFromString(trimmed, "BR")) : undefined);
  if (!parsed) return null;
  const e164 = parsed.number;
  // A Brazilian mobile without its ninth digit is still a WhatsApp number: restore the digit.
  return brazilWithNinthDigit(e164) ?? e164;
}

export const digits = (e164: string): string => e164.replace(/\D/g, "");

/** +55 DD 8 digits starting 6-9 (an old-format mobile) → the 9-digit form; else null. */
export function brazilWithNinthDigit(e164: string): string | null {
  const m = /^\+55(\d{2})([6-9]\d{7})$/.exec(e164);
  return m ? `+55${m[1]}9${m[2]}` : null;
}

/** The forms a Brazilian mobile may have in WhatsApp: with and without the ninth digit. */
export function phoneVariants(e164: string): string[] {
  const m = /^\+55(\d{2})9(\d{8})$/.exec(e164);
  return m ? [e164, `+55${m[1]}${m[2]}`] : [e164];
}
