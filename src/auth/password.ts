import { base64url } from "../core/crypto.ts";

/**
 * PBKDF2-SHA256 through WebCrypto, stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>` so the
 * cost can be raised later (DESIGN §5). 100,000 iterations is the most Cloudflare's production
 * runtime accepts; local workerd does not enforce it, so the cap is checked here (pitfalls I.1/I.2).
 */
export const PBKDF2_ITERATIONS = 100_000;
const MAX_ITERATIONS = 100_000;
const enc = new TextEncoder();

function fromBase64url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (iterations > MAX_ITERATIONS) {
    throw new Error(`PBKDF2 iterations above ${MAX_ITERATIONS} fail on Workers`);
  }
  const key = await crypto.subtle.importKey("raw", enc.encode(password.normalize("NFC")), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

export interface Verification {
  ok: boolean;
  /** The stored hash used weaker parameters than today's; rehash now that the password is known. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<Verification> {
  const [scheme, iter, salt, hash] = stored.split("$");
  const iterations = Number(iter);
  if (scheme !== "pbkdf2-sha256" || !Number.isInteger(iterations) || !salt || !hash) {
    return { ok: false, needsRehash: false };
  }
  const actual = await derive(password, fromBase64url(salt), iterations);
  const expected = fromBase64url(hash);
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < actual.length; i++) diff |= actual[i] ^ (expected[i] ?? 0);
  return { ok: diff === 0, needsRehash: diff === 0 && iterations < PBKDF2_ITERATIONS };
}

/**
 * A fixed hash to verify against when the email is unknown, so a login costs the same PBKDF2
 * work whether or not the account exists (no timing oracle for "which emails are registered").
 */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomUUID());
  return dummy;
}

/** The password policy: a reason it is refused, or null. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < 8) return "must have at least 8 characters";
  if (password.length > 256) return "must have at most 256 characters";
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2) {
    return "must mix at least two kinds of characters (lower case, upper case, digits, symbols)";
  }
  if (email) {
    const e = email.trim().toLowerCase();
    const p = password.toLowerCase();
    if (p === e || p === e.split("@")[0]) return "must not be your email address";
  }
  return null;
}
