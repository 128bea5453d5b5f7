import { parseServerlessConfig, type RawEnv, type ServerlessPlatform } from "../config.ts";
import { ConfigError } from "../config.ts";

export interface ProductionCheck {
  /** Each stops a deploy: the app would refuse to start, or run unsafely. */
  problems: string[];
  /** Worth a look, but the app runs without them. */
  warnings: string[];
}

const isSet = (raw: RawEnv, name: string) => (raw[name] ?? "").trim() !== "";

function parsedUrl(value: string | undefined): URL | undefined {
  try {
    return value ? new URL(value.trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** Loopback, private and link-local hosts: nobody outside (QStash, Meta) can call them. */
function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\./.test(h) ||
    /^10\./.test(h) || /^192\.168\./.test(h) || /^172\.(1[6-9]|2\d|3[01])\./.test(h) ||
    /^169\.254\./.test(h) ||
    h === "0.0.0.0" || /^f[cd][0-9a-f]{2}:/.test(h) || /^fe80:/.test(h);
}

/**
 * Everything a production deployment on Workers or Deno Deploy needs, checked from the variables
 * alone (nothing is called, nothing deployed): the config the entries parse, plus what only
 * hurts later (an http or private PUBLIC_BASE_URL QStash cannot call back, a test endpoint left
 * in, signing keys that cannot rotate). Messages name the variable and never show a value.
 */
export function checkProductionEnv(raw: RawEnv, platform: ServerlessPlatform): ProductionCheck {
  const problems: string[] = [];
  const warnings: string[] = [];

  if ((raw.APP_ENV ?? "").trim() !== "production") {
    problems.push(
      "APP_ENV: set it to production (development and test keep embedded defaults and dev shortcuts)",
    );
  }
  try {
    parseServerlessConfig({ ...raw, APP_ENV: "production" }, platform);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }

  const db = parsedUrl(raw.DATABASE_URL);
  if (db && db.hostname.endsWith(".neon.tech")) {
    if (!db.username || !db.password) {
      problems.push("DATABASE_URL: the Neon URL needs its role and password (postgres://ROLE:PASSWORD@…)");
    }
    if (db.pathname.replace(/^\//, "") === "") {
      problems.push("DATABASE_URL: the Neon URL names no database (…neon.tech/DBNAME)");
    }
  }
  if (isSet(raw, "NEON_FETCH_ENDPOINT")) {
    problems.push("NEON_FETCH_ENDPOINT: for tests' Neon stand-in only; unset it so queries go to Neon");
  }

  const base = parsedUrl(raw.PUBLIC_BASE_URL);
  if (!isSet(raw, "PUBLIC_BASE_URL")) {
    // parseConfig already names it when QStash is configured.
    if (!problems.some((p) => p.startsWith("PUBLIC_BASE_URL:"))) {
      problems.push(
        "PUBLIC_BASE_URL: required: the https address QStash and Meta call back (https://api.example.com)",
      );
    }
  } else if (!base) {
    problems.push("PUBLIC_BASE_URL: not a URL");
  } else {
    if (base.protocol !== "https:") problems.push("PUBLIC_BASE_URL: must be https (QStash and Meta call it)");
    if (isPrivateHost(base.hostname)) {
      problems.push("PUBLIC_BASE_URL: a local or private address; QStash and Meta cannot reach it");
    }
    if (base.search || base.hash) problems.push("PUBLIC_BASE_URL: no query string or fragment");
  }

  for (const name of ["UPSTASH_REDIS_REST_URL", "QSTASH_URL"]) {
    const u = parsedUrl(raw[name]);
    if (u && u.protocol !== "https:") problems.push(`${name}: must be https`);
  }
  const current = raw.QSTASH_CURRENT_SIGNING_KEY?.trim();
  const next = raw.QSTASH_NEXT_SIGNING_KEY?.trim();
  if (current && next && current === next) {
    problems.push(
      "QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: the same value; copy both keys from the QStash console",
    );
  }
  for (
    const [name, key] of [["QSTASH_CURRENT_SIGNING_KEY", current], ["QSTASH_NEXT_SIGNING_KEY", next]] as const
  ) {
    if (key && !key.startsWith("sig_")) {
      problems.push(`${name}: not a QStash signing key (they start with sig_); the token is QSTASH_TOKEN`);
    }
  }

  if (!isSet(raw, "META_APP_SECRET")) {
    warnings.push("META_APP_SECRET: unset; Meta webhooks verify only with each number's own app secret");
  }
  if (!isSet(raw, "BOOTSTRAP_ADMIN_EMAIL")) {
    warnings.push(
      "BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: unset; no platform super admin is created",
    );
  }
  if (!isSet(raw, "OBSERVABILITY_TOKEN")) {
    warnings.push("OBSERVABILITY_TOKEN: unset; only a super admin can read metrics, traces and logs");
  }
  if (!isSet(raw, "APP_URL")) {
    warnings.push("APP_URL: unset; links in mails point at PUBLIC_BASE_URL instead of your front end");
  }
  return { problems, warnings };
}

/** `KEY=value` lines as Deno's `--env-file` reads them: comments, `export`, quotes. */
export function parseEnvFile(text: string): RawEnv {
  const out: RawEnv = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    let value = m[2];
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, "\n") : quoted[2];
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}
