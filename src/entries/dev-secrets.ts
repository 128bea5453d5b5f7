import type { RawEnv } from "../config.ts";

/**
 * Outside production, secrets that were not given are generated once and kept in
 * `<DATA_DIR>/secrets.json`, so tokens and encrypted data survive a restart of `deno task dev`.
 */
export async function withDevSecrets(raw: RawEnv, dataDir: string): Promise<RawEnv> {
  if (raw.APP_ENV === "production" || (raw.JWT_SECRET && raw.ENCRYPTION_KEY)) return raw;
  const file = `${dataDir}/secrets.json`;
  let stored: { JWT_SECRET?: string; ENCRYPTION_KEY?: string } = {};
  try {
    stored = JSON.parse(await Deno.readTextFile(file));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const random = (n: number) => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))));
  const next = {
    JWT_SECRET: stored.JWT_SECRET ?? random(48),
    ENCRYPTION_KEY: stored.ENCRYPTION_KEY ?? random(32),
  };
  if (next.JWT_SECRET !== stored.JWT_SECRET || next.ENCRYPTION_KEY !== stored.ENCRYPTION_KEY) {
    await Deno.mkdir(dataDir, { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  }
  return {
    ...raw,
    JWT_SECRET: raw.JWT_SECRET ?? next.JWT_SECRET,
    ENCRYPTION_KEY: raw.ENCRYPTION_KEY ?? next.ENCRYPTION_KEY,
  };
}
