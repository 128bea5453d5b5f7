import { strict as assert } from "node:assert";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { jobs, users } from "../../db/schema/index.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { register } from "../../src/auth/register.ts";
import { describeError, errorSummary, redactText } from "../../src/observability/redact.ts";
import { body, createTestContext } from "../support/harness.ts";

/**
 * Logs never carry SQL parameters, secrets, password hashes or tokens, and personal data in them
 * is masked. Proved on the lines a failing request really writes: a statement that PostgreSQL
 * refuses (what a route without validation would send) with an email and a password hash bound.
 */

const EMAIL = "maria.souza@provedor.com.br";
const PASSWORD = "Senha-muito-secreta-1";

Deno.test("logs: a failed statement is logged without its parameters or anyone's data", async (t) => {
  const lines: string[] = [];
  const ctx = await createTestContext({
    logSink: (line) => lines.push(line),
    extend: (app) =>
      // Registration as a route would do it if a field escaped validation: the NUL reaches PostgreSQL.
      app.post("/test/unvalidated-register", async (c) => {
        const r = await register(c.get("services"), requestMeta(c), {
          email: EMAIL,
          password: PASSWORD,
          name: "Maria\u0000Souza",
          tenant_name: "Fibra Segura",
        });
        return c.json(r, 201);
      }),
  });
  try {
    const res = await ctx.request("/test/unvalidated-register", {
      method: "POST",
      headers: {
        authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
      },
    });
    const problem = await body(res);
    assert.equal(res.status, 500);
    const requestId = String(problem.request_id);
    const mine = lines.filter((l) => l.includes(requestId));

    await t.step("the error is logged once, with the statement and the database's reason", () => {
      const errors = mine.map((l) => JSON.parse(l)).filter((l) => l.msg === "unhandled error");
      assert.equal(errors.length, 1, mine.join("\n"));
      const error = errors[0].error;
      assert.match(error.message, /^Failed query: insert into "users"/);
      assert.match(error.cause.message, /invalid byte sequence for encoding "UTF8": 0x00/);
      assert.match(error.stack, /Failed query: insert into "users"/);
    });

    await t.step("no parameter, password hash, email or token is anywhere in those lines", () => {
      const all = mine.join("\n");
      assert.ok(mine.length >= 2, "the error line and the request line");
      assert.doesNotMatch(all, /params: (?!\[redacted\])/);
      assert.doesNotMatch(all, /pbkdf2/);
      assert.ok(!all.includes(EMAIL), "the email");
      assert.ok(!all.includes("maria.souza"), "the email's user part");
      assert.ok(!all.includes(PASSWORD));
      assert.ok(!all.includes("Maria"), "the name bound to the statement");
      assert.doesNotMatch(all, /eyJ/);
    });

    await t.step("the recent-logs endpoint serves the same redacted lines", () => {
      const kept = JSON.stringify(ctx.services.obs.logs.query({ limit: 50 }));
      assert.ok(kept.includes(requestId));
      assert.ok(!kept.includes(EMAIL) && !kept.includes("pbkdf2"));
    });

    await t.step("and the database kept nothing of the failed sign-up", async () => {
      const rows = await ctx.services.database.db.select().from(users).where(eq(users.email, EMAIL));
      assert.deepEqual(rows, []);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("logs: a failing job stores and logs its error without the statement's values", async () => {
  const lines: string[] = [];
  const ctx = await createTestContext({ logSink: (line) => lines.push(line) });
  try {
    ctx.services.jobRegistry.register("test.leaky", z.object({ email: z.string() }), async ({ email }) => {
      await ctx.services.database.db.insert(users).values({
        id: crypto.randomUUID(),
        tenantId: crypto.randomUUID(), // no such tenant: the foreign key refuses the row
        email,
        name: "Cliente",
        passwordHash: "pbkdf2-sha256$100000$c2FsdA$aGFzaA",
        role: "agent",
      });
    });
    const { id } = await ctx.services.jobs.enqueue("test.leaky", { email: EMAIL }, { maxAttempts: 1 });
    await ctx.services.runner!.drain();
    const [row] = await ctx.services.database.db.select().from(jobs).where(eq(jobs.id, id));
    assert.equal(row.status, "dead");
    assert.match(row.lastError!, /^Failed query: insert into "users"/);
    assert.match(row.lastError!, /foreign key/);
    const all = lines.join("\n") + row.lastError;
    assert.ok(lines.some((l) => l.includes("job failed for good")));
    assert.ok(!all.includes(EMAIL) && !all.includes("pbkdf2"), all);
  } finally {
    await ctx.close();
  }
});

Deno.test("logs: the mail line names the recipient masked and never the text (its links carry tokens)", async () => {
  const lines: string[] = [];
  const ctx = await createTestContext({ logSink: (line) => lines.push(line) });
  try {
    await ctx.services.mailer.send({
      to: EMAIL,
      subject: "Redefinição de senha",
      text: "Abra https://app.pytake.test/reset-password?token=abcDEF123456789xyz",
      kind: "reset_password",
    });
    const line = JSON.parse(lines.find((l) => l.includes("mail queued"))!);
    assert.equal(line.to, "m***@provedor.com.br");
    assert.equal(line.text, undefined);
    assert.ok(!lines.join("\n").includes("abcDEF123456789xyz"));
  } finally {
    await ctx.close();
  }
});

Deno.test("redaction: personal data masked, secrets and tokens removed", () => {
  const cases: [string, string][] = [
    ["login de joao@example.com falhou", "login de j***@example.com falhou"],
    ["para +5511987654321 agora", "para +55*******4321 agora"],
    ["ligar (11) 98765-4321", "ligar (**) *****-4321"],
    ["CPF 123.456.789-09 e 12345678909", "CPF ***.***.***-09 e *******8909"],
    ["CNPJ 12.345.678/0001-95", "CNPJ **.***.***/****-95"],
    ["hash pbkdf2-sha256$100000$c2FsdA$aGFzaA fim", "hash [password hash] fim"],
    ["Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [redacted]"],
    [
      "refresh rt_59kMVDCMTybBPv5h5ddfouykSuCN0y e chave pk_abcdefghijklmnopqrstu",
      "refresh rt_[redacted] e chave pk_[redacted]",
    ],
    ["GET /verify?token=s3cr3t&x=1", "GET /verify?token=[redacted]&x=1"],
    ["Failed query: select 1\nparams: a@b.co,segredo\nlinha 2", "Failed query: select 1\nparams: [redacted]"],
  ];
  for (const [input, expected] of cases) assert.equal(redactText(input), expected, input);
  // What is not personal stays readable: ids, timestamps, SQL.
  const plain = "request 01a242d0-97dc-7000-ae82-6b3160e4dabf at 2026-12-04T20:47:54.953Z: select $1";
  assert.equal(redactText(plain), plain);

  const err = Object.assign(new Error("Failed query: insert into t values ($1)\nparams: a@b.co"), {
    query: "insert into t values ($1)",
    params: ["a@b.co"],
    cause: Object.assign(new Error('invalid input syntax for type uuid: "a@b.co"'), { code: "22P02" }),
  });
  const described = JSON.stringify(describeError(err));
  assert.ok(!described.includes("a@b.co"), described);
  assert.match(described, /"sqlstate":"22P02"/);
  assert.equal(
    errorSummary(err),
    'Failed query: insert into t values ($1) (caused by) invalid input syntax for type uuid: "a***@b.co"',
  );
  assert.equal(
    errorSummary(new Error("x".repeat(10) + "😀"), 11),
    "xxxxxxxxxx😀",
    "never a half surrogate pair",
  );
});
