/**
 * Random bytes from a pool refilled 4 KiB at a time: request ids and trace ids need a few bytes
 * on every request, and one `getRandomValues` call per need costs more than the rest of the id.
 * The bytes come from the same CSPRNG; only the calls are batched.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

export function randomBytes(n: number): Uint8Array {
  if (n > POOL_SIZE) return crypto.getRandomValues(new Uint8Array(n));
  if (offset + n > POOL_SIZE) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const out = pool.slice(offset, offset + n);
  offset += n;
  return out;
}

/** Copies `n` random bytes into `target` from `at`, without allocating (hot paths: ids). */
export function fillRandom(target: Uint8Array, at: number, n: number): void {
  if (offset + n > POOL_SIZE) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  for (let i = 0; i < n; i++) target[at + i] = pool[offset + i];
  offset += n;
}

export const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

export const randomHex = (n: number): string => hex(randomBytes(n));
