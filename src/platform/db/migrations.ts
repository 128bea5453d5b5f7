/** Where drizzle-kit writes the SQL migrations; read from disk, so never inside a Worker. */
export const migrationsFolder = decodeURIComponent(
  new URL("../../../db/migrations", import.meta.url).pathname,
);
