import { defineConfig } from "drizzle-kit";

// `deno task db:generate` writes SQL migrations from the schema; they are applied at boot on
// PGlite and self-hosted PostgreSQL, and by `deno task db:migrate` against Neon.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
