import { strict as assert } from "node:assert";
import { ConfigError, parseConfig, parseServerlessConfig, type RawEnv } from "../../src/config.ts";
import { checkProductionEnv, parseEnvFile } from "../../src/deploy/production-check.ts";

/** A production environment with everything in place. */
const COMPLETE: RawEnv = {
  APP_ENV: "production",
  PUBLIC_BASE_URL: "https://api.fibra.com.br",
  APP_URL: "https://app.fibra.com.br",
  DATABASE_URL: "postgres://app:s3cret@ep-cool-rain-123456.sa-east-1.aws.neon.tech/pytake?sslmode=require",
  UPSTASH_REDIS_REST_URL: "https://sa1-fast-owl-31337.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "AX1-upstash-token",
  QSTASH_TOKEN: "eyJxstash-token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_7kYjpAbc",
  QSTASH_NEXT_SIGNING_KEY: "sig_5ZB6DVxy",
  JWT_SECRET: "a-production-jwt-secret-of-at-least-32-characters",
  ENCRYPTION_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  META_APP_SECRET: "meta-app-secret",
  BOOTSTRAP_ADMIN_EMAIL: "root@fibra.com.br",
  BOOTSTRAP_ADMIN_PASSWORD: "A-strong-root-password-1",
  OBSERVABILITY_TOKEN: "scrape-token",
};

const without = (...names: string[]) =>
  Object.fromEntries(Object.entries(COMPLETE).filter(([k]) => !names.includes(k)));

Deno.test("deploy check: a complete production environment passes on both platforms", () => {
  for (const platform of ["workers", "deno-deploy"] as const) {
    assert.deepEqual(checkProductionEnv(COMPLETE, platform), { problems: [], warnings: [] });
  }
});

Deno.test("deploy check: each missing or wrong variable is named, and no value is printed", async (t) => {
  const cases: [string, RawEnv, RegExp][] = [
    ["not production", { ...COMPLETE, APP_ENV: "development" }, /^APP_ENV: set it to production/],
    ["no database", without("DATABASE_URL"), /^DATABASE_URL: production needs a database server.*neon\.tech/],
    [
      "a TCP PostgreSQL",
      { ...COMPLETE, DATABASE_URL: "postgres://app:pw@db.internal:5432/app" },
      /^DATABASE_URL: on Workers the database is Neon over HTTP/,
    ],
    [
      "a Neon URL without a password",
      { ...COMPLETE, DATABASE_URL: "postgres://app@ep-x-1.aws.neon.tech/db" },
      /^DATABASE_URL: the Neon URL needs its role and password/,
    ],
    [
      "the test stand-in endpoint left in",
      { ...COMPLETE, NEON_FETCH_ENDPOINT: "http://127.0.0.1:1/sql" },
      /^NEON_FETCH_ENDPOINT: for tests/,
    ],
    [
      "no Upstash",
      without("UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"),
      /^UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN: required/,
    ],
    [
      "half of Upstash",
      without("UPSTASH_REDIS_REST_TOKEN"),
      /^UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN: set all of them or none/,
    ],
    [
      "no QStash",
      without("QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"),
      /^QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: required/,
    ],
    [
      "one signing key",
      without("QSTASH_NEXT_SIGNING_KEY"),
      /^QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: set all/,
    ],
    [
      "the same key twice",
      { ...COMPLETE, QSTASH_NEXT_SIGNING_KEY: COMPLETE.QSTASH_CURRENT_SIGNING_KEY },
      /^QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: the same value/,
    ],
    [
      "the token as a signing key",
      { ...COMPLETE, QSTASH_CURRENT_SIGNING_KEY: "eyJxstash-token" },
      /^QSTASH_CURRENT_SIGNING_KEY: not a QStash signing key/,
    ],
    ["no public URL", without("PUBLIC_BASE_URL"), /^PUBLIC_BASE_URL: required/],
    [
      "an http public URL",
      { ...COMPLETE, PUBLIC_BASE_URL: "http://api.fibra.com.br" },
      /^PUBLIC_BASE_URL: must be https/,
    ],
    [
      "a local public URL",
      { ...COMPLETE, PUBLIC_BASE_URL: "https://localhost:8000" },
      /^PUBLIC_BASE_URL: a local or private address/,
    ],
    [
      "a private public URL",
      { ...COMPLETE, PUBLIC_BASE_URL: "https://192.168.0.10" },
      /^PUBLIC_BASE_URL: a local or private address/,
    ],
    ["no JWT secret", without("JWT_SECRET"), /^JWT_SECRET: required in production/],
    ["a short JWT secret", { ...COMPLETE, JWT_SECRET: "short" }, /^JWT_SECRET: at least 32 characters/],
    ["a bad encryption key", { ...COMPLETE, ENCRYPTION_KEY: "not-a-key" }, /^ENCRYPTION_KEY: 32 bytes/],
    [
      "private targets allowed",
      { ...COMPLETE, ALLOW_PRIVATE_TARGETS: "true" },
      /^ALLOW_PRIVATE_TARGETS: not allowed in production/,
    ],
    [
      "an http Upstash",
      { ...COMPLETE, UPSTASH_REDIS_REST_URL: "http://sa1-fast-owl.upstash.io" },
      /^UPSTASH_REDIS_REST_URL: must be https/,
    ],
  ];
  for (const [name, env, expected] of cases) {
    await t.step(name, () => {
      const { problems } = checkProductionEnv(env, "workers");
      assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
      for (
        const secret of [
          COMPLETE.JWT_SECRET!,
          COMPLETE.QSTASH_TOKEN!,
          "s3cret",
          COMPLETE.UPSTASH_REDIS_REST_TOKEN!,
        ]
      ) {
        assert.ok(!problems.join("\n").includes(secret), "a secret value was printed");
      }
    });
  }
});

Deno.test("deploy check: optional variables are warnings, not problems", () => {
  const { problems, warnings } = checkProductionEnv(
    without(
      "META_APP_SECRET",
      "BOOTSTRAP_ADMIN_EMAIL",
      "BOOTSTRAP_ADMIN_PASSWORD",
      "OBSERVABILITY_TOKEN",
      "APP_URL",
    ),
    "deno-deploy",
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings.map((w) => w.split(":")[0]), [
    "META_APP_SECRET",
    "BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD",
    "OBSERVABILITY_TOKEN",
    "APP_URL",
  ]);
});

Deno.test("config: production refuses PGlite; serverless entries report every problem at once", () => {
  assert.throws(
    () =>
      parseConfig({
        APP_ENV: "production",
        JWT_SECRET: COMPLETE.JWT_SECRET,
        ENCRYPTION_KEY: COMPLETE.ENCRYPTION_KEY,
      }),
    (err: unknown) => err instanceof ConfigError && /embedded PGlite/.test(err.problems[0]),
  );
  assert.throws(
    () =>
      parseServerlessConfig({
        ...without("DATABASE_URL", "QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"),
      }, "workers"),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 2 &&
      /^DATABASE_URL: production needs a database server/.test(err.problems[0]) &&
      /^QSTASH_TOKEN, .*required on Workers/.test(err.problems[1]),
  );
  assert.equal(parseServerlessConfig(COMPLETE, "deno-deploy").database.kind, "neon-http");
  // Development on Workers (no QStash, no Upstash) is allowed: jobs run from the table.
  assert.equal(
    parseServerlessConfig({ DATABASE_URL: COMPLETE.DATABASE_URL, APP_ENV: "development" }, "workers").qstash,
    undefined,
  );
});

Deno.test("deploy check: env files as Deno reads them", () => {
  assert.deepEqual(
    parseEnvFile(
      "# production\nexport APP_ENV=production\nJWT_SECRET=\"with # hash\"\nA=b # note\n\nQ='single'\nBAD LINE\n",
    ),
    { APP_ENV: "production", JWT_SECRET: "with # hash", A: "b", Q: "single" },
  );
});

Deno.test("deno task deploy:check: exit 1 with the list, exit 0 when complete, nothing deployed", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "deploy-check-" });
  try {
    const run = async (env: RawEnv, target = "workers") => {
      const file = `${dir}/${crypto.randomUUID()}.env`;
      await Deno.writeTextFile(file, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n"));
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "deploy:check", "--target", target, "--env-file", file],
        cwd: root,
        clearEnv: true,
        env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/tmp" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
    };
    const ok = await run(COMPLETE, "deno-deploy");
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /production environment for Deno Deploy: complete/);
    const bad = await run({
      ...without("QSTASH_NEXT_SIGNING_KEY"),
      PUBLIC_BASE_URL: "http://localhost:8000",
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /✗ QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY: set all/);
    assert.match(bad.stdout, /✗ PUBLIC_BASE_URL: must be https/);
    assert.match(bad.stdout, /Cloudflare Workers: 3 to fix before deploying/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
