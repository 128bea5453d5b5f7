/**
 * The Neon HTTP stand-in, driven by the real @neondatabase/serverless client (and drizzle's
 * neon-http driver on top of it) against an in-memory PGlite. If these pass, the stand-in speaks
 * the wire format the client expects; tests/integration/ repeats the client checks on Postgres.
 */
import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { neon, neonConfig, type NeonQueryFunction, types } from "@neondatabase/serverless";
import { eq, sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { integer, pgTable, serial, text } from "drizzle-orm/pg-core";
import { openNeonHttp } from "../../src/platform/db/neon-http.ts";
import { type NeonHttpStandIn, startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { pgliteBackend, type SqlBackend } from "../support/sql-backend.ts";

const DATABASE_URL = "postgres://user:pass@db.example.neon.tech/neondb";

interface Ctx {
  sql: NeonQueryFunction<false, false>;
  standIn: NeonHttpStandIn;
  backend: SqlBackend;
  pg: PGlite;
}

/** A fresh PGlite behind a fresh stand-in, with the client pointed at it; all closed afterwards. */
async function withStandIn(fn: (ctx: Ctx) => Promise<void>, opts: { token?: string } = {}) {
  const pg = await PGlite.create("memory://");
  const backend = pgliteBackend(pg);
  const standIn = await startNeonHttpStandIn(backend, opts);
  // Module-level config in the driver: every test sets it before its first query.
  neonConfig.fetchEndpoint = standIn.url;
  try {
    await fn({ sql: neon(DATABASE_URL), standIn, backend, pg });
  } finally {
    await standIn.close();
    await backend.close();
    await pg.close();
  }
}

/** Calls the stand-in by hand, with the headers the client would send unless overridden. */
function post(standIn: NeonHttpStandIn, body: unknown, headers: Record<string, string | null> = {}) {
  const all: Record<string, string | null> = {
    "Neon-Connection-String": DATABASE_URL,
    "Neon-Raw-Text-Output": "true",
    "Neon-Array-Mode": "true",
    ...headers,
  };
  return fetch(standIn.url, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: Object.entries(all).filter((e): e is [string, string] => e[1] !== null),
  });
}

async function rejectsWith(promise: Promise<unknown>, expected: Record<string, unknown>): Promise<Error> {
  const err = await promise.then(() => assert.fail("expected a rejection"), (e: Error) => e);
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual((err as unknown as Record<string, unknown>)[key], value, `error.${key}: ${err.message}`);
  }
  return err;
}

Deno.test("tagged template: parameters go out as text, rows come back parsed", async () => {
  await withStandIn(async ({ sql, standIn }) => {
    const rows = await sql`select ${2}::int + ${3}::int as sum, ${"it's"} as s, ${null}::text as z`;
    assert.deepEqual(rows, [{ sum: 5, s: "it's", z: null }]);

    const { body, headers } = standIn.requests.at(-1)!;
    assert.deepEqual(body, {
      query: "select $1::int + $2::int as sum, $3 as s, $4::text as z",
      params: ["2", "3", "it's", null],
    });
    assert.equal(headers["neon-raw-text-output"], "true");
    assert.equal(headers["neon-array-mode"], "true");
    // The client resolves the URL to postgresql:// and adds its application_name.
    assert.match(
      headers["neon-connection-string"],
      /^postgresql:\/\/user:pass@db\.example\.neon\.tech\/neondb\?application_name=/,
    );
  });
});

Deno.test("types round-trip through the client's pg-types parsing", async () => {
  await withStandIn(async ({ sql }) => {
    await sql`create table t (
      i4 int4, i8 int8, num numeric(12,3), b bool, yes bool, tx text, id uuid, j jsonb, ts timestamptz,
      d date, tags text[], nums int[], nothing text, bin bytea)`;
    const at = new Date("2024-02-29T12:34:56.789Z");
    const bin = new Uint8Array([0, 1, 127, 128, 255]);
    const json = { a: 1, b: [true, null, "x"], c: { d: "é" } };
    await sql`insert into t values (
      ${-7}, ${"9007199254740993"}, ${"12345.678"}, ${false}, ${true}, ${'quote " and \\ backslash'},
      ${"0b9d8f5e-3c4a-4f8e-9d2a-1f2e3d4c5b6a"}, ${json}, ${at}, ${"2024-02-29"},
      ${["a", "b,c", 'q"uote', null]}, ${[1, 2, 3]}, ${null}, ${bin})`;

    const result = await sql.query("select * from t", [], { fullResults: true });
    const [row] = result.rows;
    assert.equal(row.i4, -7);
    assert.equal(row.i8, "9007199254740993"); // int8 stays a string: no precision lost
    assert.equal(row.num, "12345.678");
    // Bool parameters travel as the text "false" / "true" and must reach Postgres untouched.
    assert.equal(row.b, false);
    assert.equal(row.yes, true);
    assert.equal(row.tx, 'quote " and \\ backslash');
    assert.equal(row.id, "0b9d8f5e-3c4a-4f8e-9d2a-1f2e3d4c5b6a");
    assert.deepEqual(row.j, json);
    assert.ok(row.ts instanceof Date, "timestamptz is parsed into a Date by the client");
    assert.equal(row.ts.toISOString(), at.toISOString());
    assert.ok(row.d instanceof Date, "date is parsed into a (local midnight) Date by the client");
    assert.deepEqual([row.d.getFullYear(), row.d.getMonth(), row.d.getDate()], [2024, 1, 29]);
    assert.deepEqual(row.tags, ["a", "b,c", 'q"uote', null]);
    assert.deepEqual(row.nums, [1, 2, 3]);
    assert.equal(row.nothing, null);
    assert.deepEqual(new Uint8Array(row.bin), bin);
    assert.deepEqual(
      result.fields.map((f) => f.dataTypeID),
      [23, 20, 1700, 16, 16, 25, 2950, 3802, 1184, 1082, 1009, 1007, 25, 17],
    );
  });
});

Deno.test("fullResults: fields, command and rowCount as Neon reports them", async () => {
  await withStandIn(async ({ sql }) => {
    const created = await sql.query("create table people (id serial primary key, name varchar(20))", [], {
      fullResults: true,
    });
    assert.equal(created.command, "CREATE");
    assert.equal(created.rowCount, null); // no count in the "CREATE TABLE" tag

    const inserted = await sql.query("insert into people (name) values ($1), ($2)", ["ann", "bob"], {
      fullResults: true,
    });
    assert.deepEqual([inserted.command, inserted.rowCount, inserted.rows, inserted.fields], [
      "INSERT",
      2,
      [],
      [],
    ]);

    const selected = await sql.query("select id, name, $1::int as n from people order by id", [7], {
      fullResults: true,
      arrayMode: true,
    });
    assert.equal(selected.command, "SELECT");
    assert.equal(selected.rowCount, 2);
    assert.deepEqual(selected.rows, [[1, "ann", 7], [2, "bob", 7]]);
    const [id, name, n] = selected.fields;
    assert.ok(id.tableID > 0);
    assert.deepEqual(
      { ...id, tableID: 0 },
      {
        name: "id",
        dataTypeID: 23,
        tableID: 0,
        columnID: 1,
        dataTypeSize: 4,
        dataTypeModifier: -1,
        format: "text",
      },
    );
    assert.deepEqual([name.columnID, name.dataTypeID, name.dataTypeModifier], [2, 1043, 24]); // varchar(20)
    assert.deepEqual([n.tableID, n.columnID, n.dataTypeSize], [0, 0, 4]);

    const updated = await sql.query("update people set name = upper(name)", [], { fullResults: true });
    assert.deepEqual([updated.command, updated.rowCount], ["UPDATE", 2]);
  });
});

Deno.test("SQL errors arrive as NeonDbError with SQLSTATE and the server's fields", async () => {
  await withStandIn(async ({ sql }) => {
    await sql`create table users (id int primary key, email text unique)`;
    await sql`insert into users values (1, 'a@example.com')`;
    const err = await rejectsWith(sql`insert into users values (2, ${"a@example.com"})`, {
      name: "NeonDbError",
      code: "23505",
      severity: "ERROR",
      constraint: "users_email_key",
      table: "users",
      schema: "public",
      detail: "Key (email)=(a@example.com) already exists.",
      hint: undefined,
    });
    assert.match(err.message, /duplicate key value violates unique constraint "users_email_key"/);

    await rejectsWith(sql`selec 1`, { code: "42601", position: "1" });
    // One statement per request, as Neon runs them (extended protocol).
    await rejectsWith(sql`select 1; select 2`, { code: "42601" });
    await rejectsWith(sql`select * from missing_table`, { code: "42P01" });
  });
});

Deno.test("sql.transaction is one all-or-nothing transaction with per-query results", async () => {
  await withStandIn(async ({ sql, standIn }) => {
    await sql`create table items (id int primary key, label text)`;

    const [inserted, counted] = await sql.transaction([
      sql`insert into items values (1, 'one'), (2, 'two') returning id`,
      sql`select count(*)::int as n from items`,
    ], { isolationLevel: "Serializable", readOnly: false, deferrable: false });
    assert.deepEqual(inserted, [{ id: 1 }, { id: 2 }]);
    assert.deepEqual(counted, [{ n: 2 }]);
    const batch = standIn.requests.at(-1)!;
    assert.equal((batch.body as { queries: unknown[] }).queries.length, 2);
    assert.equal(batch.headers["neon-batch-isolation-level"], "Serializable");
    assert.equal(batch.headers["neon-batch-read-only"], "false");

    // The second statement fails: the first must not stay applied.
    await rejectsWith(
      sql.transaction([sql`insert into items values (3, 'three')`, sql`insert into items values (1, 'dup')`]),
      { code: "23505", constraint: "items_pkey", detail: "Key (id)=(1) already exists." },
    );
    assert.deepEqual(await sql`select id from items order by id`, [{ id: 1 }, { id: 2 }]);

    await rejectsWith(sql.transaction([sql`insert into items values (4, 'four')`], { readOnly: true }), {
      code: "25006", // read_only_sql_transaction
    });
    // The isolation level really is applied, not just accepted.
    const [[level]] = await sql.transaction([sql`select current_setting('transaction_isolation') as level`], {
      isolationLevel: "RepeatableRead",
    });
    assert.deepEqual(level, { level: "repeatable read" });
    await rejectsWith(
      sql.transaction([sql`select 1`], { isolationLevel: "Chaotic" as "Serializable" }),
      { message: "invalid isolation level", code: "" },
    );
    assert.deepEqual(await sql`select count(*)::int as n from items`, [{ n: 2 }]);
  });
});

const notes = pgTable("notes", {
  id: serial("id").primaryKey(),
  body: text("body").notNull(),
  votes: integer("votes").notNull().default(0),
});

Deno.test("drizzle-orm/neon-http: insert, select, update returning and batch", async () => {
  // drizzle's neon-http driver replaces the client's global date parsers with identity
  // (timestamps come back as strings from then on, in the whole process); put them back.
  const touched = [1082, 1114, 1184, 1186, 1115, 1182, 1185, 1187, 1231];
  const saved = touched.map((oid) => [oid, types.getTypeParser(oid)] as const);
  try {
    await withStandIn(async ({ sql }) => {
      const db = drizzle({ client: sql });
      await db.execute(dsql`create table notes (id serial primary key, body text not null unique,
        votes int not null default 0)`);

      const [first] = await db.insert(notes).values({ body: "hello" }).returning();
      assert.deepEqual(first, { id: 1, body: "hello", votes: 0 });
      assert.deepEqual(await db.select().from(notes).where(eq(notes.id, 1)), [first]);
      const [updated] = await db.update(notes).set({ votes: 3 }).where(eq(notes.id, 1)).returning({
        votes: notes.votes,
      });
      assert.deepEqual(updated, { votes: 3 });

      const [added, bumped, all] = await db.batch([
        db.insert(notes).values({ body: "second" }).returning({ id: notes.id }),
        db.update(notes).set({ votes: dsql`${notes.votes} + 1` }).returning({
          id: notes.id,
          votes: notes.votes,
        }),
        db.select({ body: notes.body }).from(notes).orderBy(notes.id),
      ]);
      assert.deepEqual(added, [{ id: 2 }]);
      assert.deepEqual(bumped.sort((a, b) => a.id - b.id), [{ id: 1, votes: 4 }, { id: 2, votes: 1 }]);
      assert.deepEqual(all, [{ body: "hello" }, { body: "second" }]);

      // A failing statement rolls the whole batch back.
      await rejectsWith(
        db.batch([
          db.update(notes).set({ votes: 100 }),
          db.insert(notes).values({ body: "hello" }),
        ]),
        { code: "23505" },
      );
      assert.deepEqual(await db.select({ votes: notes.votes }).from(notes).orderBy(notes.id), [
        { votes: 4 },
        { votes: 1 },
      ]);
    });
  } finally {
    for (const [oid, parser] of saved) types.setTypeParser(oid, parser);
  }
});

Deno.test("the app's neon-http adapter works through the stand-in", async () => {
  const touched = [1082, 1114, 1184, 1186, 1115, 1182, 1185, 1187, 1231];
  const saved = touched.map((oid) => [oid, types.getTypeParser(oid)] as const);
  try {
    await withStandIn(async ({ standIn }) => {
      const database = openNeonHttp(DATABASE_URL, { fetchEndpoint: standIn.url });
      await database.ping();
      assert.deepEqual(await database.rows(dsql`select ${"x"}::text as v, 1 as one`), [{ v: "x", one: 1 }]);
      await database.db.execute(dsql`create table kv (k text primary key, v int)`);
      const [a, b] = await database.atomic((db) => [
        db.execute(dsql`insert into kv values ('a', 1)`),
        db.execute(dsql`select count(*)::int as n from kv`),
      ]);
      assert.equal((a as { rowCount: number }).rowCount, 1);
      assert.deepEqual((b as { rows: unknown[] }).rows, [{ n: 1 }]);
      await database.close();
    });
  } finally {
    for (const [oid, parser] of saved) types.setTypeParser(oid, parser);
  }
});

Deno.test("an outage fails the client; a restart on the same port serves again", async () => {
  await withStandIn(async ({ sql, standIn, backend }) => {
    assert.deepEqual(await sql`select 1 as up`, [{ up: 1 }]);
    await standIn.close();
    // The client wraps the refused fetch: a NeonDbError with the cause in `sourceError`.
    const err = await rejectsWith(sql`select 1 as up`, { name: "NeonDbError" });
    assert.match(err.message, /^Error connecting to database/);
    assert.ok((err as { sourceError?: unknown }).sourceError instanceof Error);

    const again = await startNeonHttpStandIn(backend, { port: standIn.port });
    try {
      assert.equal(again.url, standIn.url);
      assert.deepEqual(await sql`select 1 as up`, [{ up: 1 }]);
    } finally {
      await again.close();
    }
  });
});

Deno.test("the endpoint checks requests the way Neon does", async () => {
  await withStandIn(async ({ standIn }) => {
    const expectError = async (res: Response, status: number, message: string | RegExp) => {
      assert.equal(res.status, status);
      const body = await res.json();
      if (typeof message === "string") assert.equal(body.message, message);
      else assert.match(body.message, message);
      assert.equal(body.code, "");
      assert.equal(body.constraint, null);
    };

    const get = await fetch(standIn.url);
    assert.equal(get.status, 400);
    assert.equal(await get.json(), "query is not supported");
    const elsewhere = await fetch(standIn.url.replace("/sql", "/other"), { method: "POST", body: "{}" });
    assert.equal(elsewhere.status, 400);
    await elsewhere.body?.cancel();
    const preflight = await fetch(standIn.url, { method: "OPTIONS" });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("allow"), "OPTIONS, POST");

    const q = { query: "select 1" };
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": null }),
      400,
      "invalid header: neon-connection-string",
    );
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": "not a url" }),
      400,
      /^invalid connection string: /,
    );
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": "mysql://u:p@h.example/db" }),
      400,
      "incorrect scheme",
    );
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": "postgres://u@h.example/db" }),
      400,
      "missing authentication credentials: required password",
    );
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": "postgres://u:p@127.0.0.1/db" }),
      400,
      "missing hostname",
    );
    await expectError(
      await post(standIn, q, { "Neon-Connection-String": "postgres://u:p@h.example/" }),
      400,
      "missing database name",
    );
    // Neon would answer JSON-typed values; the stand-in says plainly that it does not model that.
    const typedOutput = await post(standIn, q, { "Neon-Raw-Text-Output": null });
    assert.equal(typedOutput.status, 501);
    await typedOutput.body?.cancel();
    const notJson = await post(standIn, "{nope");
    assert.equal(notJson.status, 400);
    assert.match((await notJson.json()).message, /^could not parse the HTTP request body: /);
    await expectError(
      await post(standIn, { queries: [{}] }),
      400,
      "could not parse the HTTP request body: data did not match any variant of untagged enum Payload",
    );

    // The exact success shape, in object mode (no Neon-Array-Mode), with JSON-typed params.
    const ok = await post(
      standIn,
      {
        query: "select $1::int as n, $2::bool as b, $3::int[] as a, $4 as s",
        params: [5, true, [1, 2], null],
      },
      { "Neon-Array-Mode": null },
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/json");
    assert.deepEqual(await ok.json(), {
      rowAsArray: false,
      fields: [
        {
          name: "n",
          dataTypeID: 23,
          tableID: 0,
          columnID: 0,
          dataTypeSize: 4,
          dataTypeModifier: -1,
          format: "text",
        },
        {
          name: "b",
          dataTypeID: 16,
          tableID: 0,
          columnID: 0,
          dataTypeSize: 1,
          dataTypeModifier: -1,
          format: "text",
        },
        {
          name: "a",
          dataTypeID: 1007,
          tableID: 0,
          columnID: 0,
          dataTypeSize: -1,
          dataTypeModifier: -1,
          format: "text",
        },
        {
          name: "s",
          dataTypeID: 25,
          tableID: 0,
          columnID: 0,
          dataTypeSize: -1,
          dataTypeModifier: -1,
          format: "text",
        },
      ],
      rows: [{ n: "5", b: "t", a: "{1,2}", s: null }],
      command: "SELECT",
      rowCount: 1,
    });

    const batch = await post(standIn, {
      queries: [{ query: "select 1 as x" }, { query: "select 2 as y", arrayMode: false }],
    }, {
      "Neon-Batch-Isolation-Level": "RepeatableRead",
      "Neon-Batch-Read-Only": "true",
    });
    assert.equal(batch.status, 200);
    assert.equal(batch.headers.get("neon-batch-read-only"), "true");
    assert.equal(batch.headers.get("neon-batch-isolation-level"), "RepeatableRead");
    const { results } = await batch.json();
    assert.deepEqual(results.map((r: { rows: unknown[] }) => r.rows), [[["1"]], [{ y: "2" }]]);

    const sqlError = await post(standIn, { query: "select 1/0" });
    assert.equal(sqlError.status, 400);
    const body = await sqlError.json();
    assert.deepEqual([body.message, body.code, body.severity, body.detail], [
      "division by zero",
      "22012",
      "ERROR",
      null,
    ]);
    assert.deepEqual(Object.keys(body).sort(), [
      "code",
      "column",
      "constraint",
      "dataType",
      "detail",
      "file",
      "hint",
      "internalPosition",
      "internalQuery",
      "line",
      "message",
      "position",
      "routine",
      "schema",
      "severity",
      "table",
      "where",
    ]);

    // Refused requests are recorded too: 3 plain fetches and 12 posts.
    assert.equal(standIn.requests.length, 15);
    assert.equal(standIn.requests[4].headers["neon-connection-string"], "not a url");
  });
});

Deno.test("with a token the endpoint wants the client's authToken as a bearer token", async () => {
  await withStandIn(async ({ standIn }) => {
    const withToken = neon(DATABASE_URL, { authToken: "secret-jwt" });
    assert.deepEqual(await withToken`select 1 as ok`, [{ ok: 1 }]);
    assert.equal(standIn.requests.at(-1)!.headers["authorization"], "Bearer secret-jwt");

    await rejectsWith(neon(DATABASE_URL, { authToken: "wrong" })`select 1`, {
      message: "authentication failed: invalid bearer token",
    });
    await rejectsWith(neon(DATABASE_URL)`select 1`, {
      message: "missing authentication credentials: required authorization bearer token in JWT format",
    });
  }, { token: "secret-jwt" });
});
