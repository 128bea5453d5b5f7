import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Hashing helpers shared by auth, webhooks and secrets. node:crypto (Deno's Node layer; Workers
 * with nodejs_compat) rather than WebCrypto: these run on every webhook and request, and a
 * WebCrypto digest costs ~40 µs of async hops in Deno where node:crypto takes ~5 µs.
 */

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(
    bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function sha256Hex(text: string | Uint8Array): Promise<string> {
  return Promise.resolve(createHash("sha256").update(text).digest("hex"));
}

export function hmacSha256Hex(secret: string, message: string): Promise<string> {
  return Promise.resolve(createHmac("sha256", secret).update(message).digest("hex"));
}

/**
 * Compares two secrets without leaking where they differ: both are hashed first, so the
 * comparison always covers 32 bytes whatever the lengths.
 */
export function timingSafeEqualText(a: string, b: string): Promise<boolean> {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return Promise.resolve(timingSafeEqual(ha, hb));
}
