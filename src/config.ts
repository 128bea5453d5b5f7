import { z } from "@hono/zod-openapi";

/**
 * The one place that reads the environment. Entries (Deno, Worker) hand the raw variables to
 * `parseConfig`; every other module receives the typed `Config`.
 */

const flag = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
  .optional()
  .transform((v) => v === "1" || v === "true" || v === "yes" || v === "on");

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const url = z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]).default("development"),
  APP_VERSION: z.string().default("0.1.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  PUBLIC_BASE_URL: optionalString.pipe(url.optional()),
  APP_URL: optionalString.pipe(url.optional()),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  CORS_ORIGINS: z.string().default("*"),
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  MAX_UPLOAD_BYTES: positiveInt(25 * 1024 * 1024),

  DATA_DIR: z.string().default(".data"),
  DATABASE_URL: optionalString,
  NEON_FETCH_ENDPOINT: optionalString.pipe(url.optional()),

  UPSTASH_REDIS_REST_URL: optionalString.pipe(url.optional()),
  UPSTASH_REDIS_REST_TOKEN: optionalString,

  QSTASH_URL: optionalString.pipe(url.optional()),
  QSTASH_TOKEN: optionalString,
  QSTASH_CURRENT_SIGNING_KEY: optionalString,
  QSTASH_NEXT_SIGNING_KEY: optionalString,
  QSTASH_MAX_RETRIES: z.coerce.number().int().min(0).optional(),

  JWT_SECRET: optionalString,
  ENCRYPTION_KEY: optionalString,

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(url.optional()),
  AI_MODEL: z.string().default("gpt-4o-mini"),
  AI_TIMEOUT_MS: positiveInt(30_000),

  WHATSAPP_GRAPH_BASE_URL: z.string().pipe(url).default("https://graph.facebook.com"),
  WHATSAPP_GRAPH_VERSION: z.string().regex(/^v\d+\.\d+$/).default("v23.0"),
  META_APP_SECRET: optionalString,
  META_VERIFY_TOKEN: optionalString,

  BOOTSTRAP_ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  BOOTSTRAP_ADMIN_PASSWORD: optionalString,

  OBSERVABILITY_TOKEN: optionalString,
  ALLOW_PRIVATE_TARGETS: flag,
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt(20),
});

export type RawEnv = Record<string, string | undefined>;

export type DatabaseTarget =
  | { kind: "pglite"; dataDir: string }
  | { kind: "neon-http"; url: string; fetchEndpoint?: string }
  | { kind: "postgres"; url: string };

export interface Config {
  env: "development" | "test" | "production";
  version: string;
  port: number;
  publicBaseUrl: string;
  /** The front end; links in mails (verify, reset, invitation) point here. */
  appUrl: string;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  corsOrigins: string[] | "*";
  maxBodyBytes: number;
  /** Largest file upload (contact imports): 100,000 rows of CSV fit comfortably. */
  maxUploadBytes: number;
  dataDir: string;
  database: DatabaseTarget;
  upstashRedis?: { url: string; token: string };
  qstash?: {
    url: string;
    token: string;
    currentSigningKey: string;
    nextSigningKey: string;
    /** The plan's retry ceiling (Free: 3): no job is published asking for more. */
    maxRetries?: number;
  };
  /** Undefined only before the Deno entry fills in the dev secrets; required in production. */
  jwtSecret?: string;
  encryptionKey?: string;
  /** The platform's model: tenants without a key of their own use it (AI settings). */
  openai?: { apiKey: string; baseUrl?: string; model: string };
  /** How long a call to a model may take before it is a 504 (`ai_timeout`). */
  aiTimeoutMs: number;
  /** The model tenants get by default (AI_MODEL), with or without a platform key. */
  aiModel: string;
  whatsapp: {
    graphBaseUrl: string;
    graphVersion: string;
    metaAppSecret?: string;
    metaVerifyToken?: string;
  };
  bootstrapAdmin?: { email: string; password: string };
  observabilityToken?: string;
  allowPrivateTargets: boolean;
  authRateLimitPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Neon's serverless hosts; any other postgres:// URL is a plain TCP server. */
function isNeonUrl(databaseUrl: string): boolean {
  try {
    return /\.neon\.tech$|\.neon\.build$/.test(new URL(databaseUrl).hostname);
  } catch {
    return false;
  }
}

function databaseTarget(e: z.infer<typeof envSchema>): DatabaseTarget {
  const raw = e.DATABASE_URL;
  if (!raw) return { kind: "pglite", dataDir: `${e.DATA_DIR}/pg` };
  if (raw === "memory://") return { kind: "pglite", dataDir: "memory://" };
  if (raw.startsWith("file://")) return { kind: "pglite", dataDir: raw.slice("file://".length) };
  // A fetch endpoint means "speak Neon's HTTP protocol to this host", whatever the URL says.
  if (isNeonUrl(raw) || e.NEON_FETCH_ENDPOINT) {
    return { kind: "neon-http", url: raw, fetchEndpoint: e.NEON_FETCH_ENDPOINT };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) return { kind: "postgres", url: raw };
  throw new ConfigError([
    "DATABASE_URL: expected memory://, file://<dir>, a Neon URL or a postgres:// URL",
  ]);
}

function pair<T>(
  problems: string[],
  names: string[],
  values: (string | undefined)[],
  build: () => T,
): T | undefined {
  const given = values.filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < values.length) {
    problems.push(`${names.join(", ")}: set all of them or none`);
    return undefined;
  }
  return build();
}

export function parseConfig(raw: RawEnv): Config {
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];

  const upstashRedis = pair(
    problems,
    ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"],
    [e.UPSTASH_REDIS_REST_URL, e.UPSTASH_REDIS_REST_TOKEN],
    () => ({ url: e.UPSTASH_REDIS_REST_URL!, token: e.UPSTASH_REDIS_REST_TOKEN! }),
  );
  const qstash = pair(
    problems,
    ["QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"],
    [e.QSTASH_TOKEN, e.QSTASH_CURRENT_SIGNING_KEY, e.QSTASH_NEXT_SIGNING_KEY],
    () => ({
      url: e.QSTASH_URL ?? "https://qstash.upstash.io",
      token: e.QSTASH_TOKEN!,
      currentSigningKey: e.QSTASH_CURRENT_SIGNING_KEY!,
      nextSigningKey: e.QSTASH_NEXT_SIGNING_KEY!,
      maxRetries: e.QSTASH_MAX_RETRIES,
    }),
  );
  const bootstrapAdmin = pair(
    problems,
    ["BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD"],
    [e.BOOTSTRAP_ADMIN_EMAIL, e.BOOTSTRAP_ADMIN_PASSWORD],
    () => ({ email: e.BOOTSTRAP_ADMIN_EMAIL!.toLowerCase(), password: e.BOOTSTRAP_ADMIN_PASSWORD! }),
  );

  let database: DatabaseTarget | undefined;
  try {
    database = databaseTarget(e);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }

  if (qstash && !e.PUBLIC_BASE_URL) {
    problems.push("PUBLIC_BASE_URL: required with QSTASH_* (QStash calls it back)");
  }
  if (e.APP_ENV === "production") {
    if (database?.kind === "pglite") {
      problems.push(
        "DATABASE_URL: production needs a database server, not the embedded PGlite (it writes to local " +
          "disk, which Workers and Deno Deploy do not have): set DATABASE_URL to your Neon connection " +
          "string, postgres://USER:PASSWORD@ep-NAME.REGION.aws.neon.tech/DB",
      );
    }
    if (!e.JWT_SECRET) problems.push("JWT_SECRET: required in production");
    if (!e.ENCRYPTION_KEY) problems.push("ENCRYPTION_KEY: required in production");
    if (e.ALLOW_PRIVATE_TARGETS) problems.push("ALLOW_PRIVATE_TARGETS: not allowed in production");
  }
  if (e.JWT_SECRET && e.JWT_SECRET.length < 32) {
    problems.push("JWT_SECRET: at least 32 characters");
  }
  if (e.ENCRYPTION_KEY && !isEncryptionKey(e.ENCRYPTION_KEY)) {
    problems.push("ENCRYPTION_KEY: 32 bytes, base64 or hex encoded");
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems);

  return {
    env: e.APP_ENV,
    version: e.APP_VERSION,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    appUrl: (e.APP_URL ?? e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS.trim() === "*"
      ? "*"
      : e.CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean),
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    dataDir: e.DATA_DIR,
    database,
    upstashRedis,
    qstash,
    jwtSecret: e.JWT_SECRET,
    encryptionKey: e.ENCRYPTION_KEY,
    openai: e.OPENAI_API_KEY
      ? { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.AI_MODEL }
      : undefined,
    aiTimeoutMs: e.AI_TIMEOUT_MS,
    aiModel: e.AI_MODEL,
    whatsapp: {
      graphBaseUrl: e.WHATSAPP_GRAPH_BASE_URL.replace(/\/+$/, ""),
      graphVersion: e.WHATSAPP_GRAPH_VERSION,
      metaAppSecret: e.META_APP_SECRET,
      metaVerifyToken: e.META_VERIFY_TOKEN,
    },
    bootstrapAdmin,
    observabilityToken: e.OBSERVABILITY_TOKEN,
    allowPrivateTargets: e.ALLOW_PRIVATE_TARGETS,
    authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
  };
}

/** Where a serverless deployment runs: no disk, no process that outlives its requests. */
export type ServerlessPlatform = "workers" | "deno-deploy";

/**
 * What a serverless deployment needs beyond a valid config, in one place for both entries and
 * `deno task deploy:check`: Neon over HTTP (Workers speak no TCP; Deploy has no disk), and in
 * production Upstash and QStash, since in-memory sessions, limits and jobs would live in one
 * isolate and die with it. Read from the raw variables, so it can be said together with
 * whatever else is wrong.
 */
export function serverlessProblems(raw: RawEnv, platform: ServerlessPlatform): string[] {
  const problems: string[] = [];
  const set = (name: string) => (raw[name] ?? "").trim() !== "";
  const where = platform === "workers" ? "on Workers" : "on Deno Deploy";
  const db = raw.DATABASE_URL?.trim();
  if (!db || !(isNeonUrl(db) || set("NEON_FETCH_ENDPOINT"))) {
    problems.push(
      `DATABASE_URL: ${where} the database is Neon over HTTP: set your Neon connection string ` +
        "(postgres://USER:PASSWORD@ep-NAME.REGION.aws.neon.tech/DB)",
    );
  }
  if ((raw.APP_ENV ?? "development") === "production") {
    if (!set("UPSTASH_REDIS_REST_URL") || !set("UPSTASH_REDIS_REST_TOKEN")) {
      problems.push(
        `UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN: required ${where} in production ` +
          "(sessions, the token denylist and rate limits must outlive one isolate)",
      );
    }
    if (!set("QSTASH_TOKEN") || !set("QSTASH_CURRENT_SIGNING_KEY") || !set("QSTASH_NEXT_SIGNING_KEY")) {
      problems.push(
        `QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: required ${where} in ` +
          "production (background jobs are QStash callbacks; nothing else outlives a request)",
      );
    }
  }
  return problems;
}

/**
 * `parseConfig` plus the serverless requirements, every problem reported at once (one about a
 * variable the config already named is not repeated).
 */
export function parseServerlessConfig(raw: RawEnv, platform: ServerlessPlatform): Config {
  const extra = serverlessProblems(raw, platform);
  let config: Config | undefined;
  let problems: string[] = [];
  try {
    config = parseConfig(raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = [...err.problems];
  }
  const named = new Set(problems.map((p) => p.split(":")[0]));
  problems.push(...extra.filter((p) => !named.has(p.split(":")[0])));
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/** 32 raw bytes written as 64 hex digits or as base64 (with or without padding). */
export function isEncryptionKey(value: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return true;
  try {
    return atob(value.replace(/-/g, "+").replace(/_/g, "/")).length === 32;
  } catch {
    return false;
  }
}
