import postgres from "postgres";

/** The integration suite's server (`.ci/run` makes sure one answers there). */
export const ADMIN_URL = Deno.env.get("INTEGRATION_PG_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh database on the real server, dropped by `drop()`. */
export async function throwawayDatabase(
  prefix = "pytake_test",
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const name = `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
