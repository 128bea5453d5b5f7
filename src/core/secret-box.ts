import { base64url } from "./crypto.ts";

/**
 * Secrets at rest (provider tokens, app secrets, webhook secrets): AES-256-GCM through WebCrypto,
 * a fresh 96-bit IV per box, stored as `v1.<iv>.<ciphertext+tag>` so the scheme can change later.
 */
export class SecretBox {
  #key: Promise<CryptoKey>;

  constructor(encryptionKey: string) {
    // Without a key (tools that never touch secrets) every use fails loudly instead of at start.
    this.#key = !encryptionKey
      ? Promise.reject(new Error("ENCRYPTION_KEY is not set"))
      : crypto.subtle.importKey("raw", keyBytes(encryptionKey) as BufferSource, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
    this.#key.catch(() => {});
  }

  async seal(value: unknown): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = new TextEncoder().encode(JSON.stringify(value));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await this.#key, data);
    return `v1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
  }

  async open<T>(box: string): Promise<T> {
    const [version, iv, data] = box.split(".");
    if (version !== "v1" || !iv || !data) throw new Error("unknown secret box format");
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(iv) as BufferSource },
      await this.#key,
      fromBase64url(data) as BufferSource,
    );
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  }
}

function fromBase64url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

/** 64 hex digits or base64 of 32 bytes (config.ts has already checked the length). */
function keyBytes(key: string): Uint8Array {
  if (/^[0-9a-fA-F]{64}$/.test(key)) return Uint8Array.from(key.match(/../g)!, (h) => parseInt(h, 16));
  return fromBase64url(key.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
}

/** What a secret looks like in an answer: enough to recognise it, never enough to use it. */
export function mask(secret: string | undefined | null): string | null {
  if (!secret) return null;
  if (secret.length <= 8) return "••••";
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}
