/**
 * The real @neondatabase/serverless client and drizzle's neon-http driver, through the Neon HTTP
 * stand-in, on a real PostgreSQL (postgres.js backend) in a throwaway database. The same client
 * checks as tests/standins/neon-http-standin_test.ts, which runs them on PGlite.
 *
 * Needs a server: INTEGRATION_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres.
 */
import assert from "node:assert/strict";
import { neon, neonConfig, types } from "@neondatabase/serverless";
import { eq, sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { integer, pgTable, serial, text } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { startNeonHttpStandIn } from "../support/neon-http-standin.ts";
import { postgresBackend } from "../support/sql-backend.ts";

const ADMIN_URL = Deno.env.get("INTEGRATION_PG_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** What the client sends as Neon-Connection-String; the stand-in checks it, the backend ignores it. */
const DATABASE_URL = "postgres://user:pass@db.example.neon.tech/neondb";

async function rejectsWith(promise: Promise<unknown>, expected: Record<string, unknown>): Promise<Error> {
  const err = await promise.then(() => assert.fail("expected a rejection"), (e: Error) => e);
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual((err as unknown as Record<string, unknown>)[key], value, `error.${key}: ${err.message}`);
  }
  return err;
}

/** drizzle's neon-http driver swaps the client's global date parsers for identity; undo it. */
async function keepingDateParsers(fn: () => Promise<void>): Promise<void> {
  const saved = [1082, 1114, 1184, 1186, 1115, 1182, 1185, 1187, 1231].map((oid) =>
    [oid, types.getTypeParser(oid)] as const
  );
  try {
    await fn();
  } finally {
    for (const [oid, parser] of saved) types.setTypeParser(oid, parser);
  }
}

const notes = pgTable("notes", {
  id: serial("id").primaryKey(),
  body: text("body").notNull(),
  votes: integer("votes").notNull().default(0),
});

Deno.test("neon client through the stand-in on PostgreSQL", async (t) => {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const dbName = `neon_standin_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const backend = postgresBackend(url.href);
  let standIn = await startNeonHttpStandIn(backend);
  neonConfig.fetchEndpoint = standIn.url;
  const sql = neon(DATABASE_URL);

  try {
    await t.step("tagged template with parameters", async () => {
      const rows = await sql`select ${2}::int + ${3}::int as sum, ${"it's"} as s, ${null}::text as z`;
      assert.deepEqual(rows, [{ sum: 5, s: "it's", z: null }]);
      assert.deepEqual(standIn.requests.at(-1)!.body, {
        query: "select $1::int + $2::int as sum, $3 as s, $4::text as z",
        params: ["2", "3", "it's", null],
      });
    });

    await t.step("types round-trip", async () => {
      await sql`create table typed (
        i4 int4, i8 int8, num numeric(12,3), b bool, yes bool, tx text, id uuid, j jsonb, ts timestamptz,
        d date, tags text[], nums int[], nothing text, bin bytea)`;
      const at = new Date("2024-02-29T12:34:56.789Z");
      const bin = new Uint8Array([0, 1, 127, 128, 255]);
      const json = { a: 1, b: [true, null, "x"], c: { d: "é" } };
      await sql`insert into typed values (
        ${-7}, ${"9007199254740993"}, ${"12345.678"}, ${false}, ${true}, ${'quote " and \\ backslash'},
        ${"0b9d8f5e-3c4a-4f8e-9d2a-1f2e3d4c5b6a"}, ${json}, ${at}, ${"2024-02-29"},
        ${["a", "b,c", 'q"uote', null]}, ${[1, 2, 3]}, ${null}, ${bin})`;

      const result = await sql.query("select * from typed", [], { fullResults: true });
      const [row] = result.rows;
      assert.equal(row.i4, -7);
      assert.equal(row.i8, "9007199254740993");
      assert.equal(row.num, "12345.678");
      assert.equal(row.b, false);
      assert.equal(row.yes, true);
      assert.equal(row.tx, 'quote " and \\ backslash');
      assert.equal(row.id, "0b9d8f5e-3c4a-4f8e-9d2a-1f2e3d4c5b6a");
      assert.deepEqual(row.j, json);
      assert.ok(row.ts instanceof Date);
      assert.equal(row.ts.toISOString(), at.toISOString());
      assert.ok(row.d instanceof Date);
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

    await t.step("fullResults: fields, command, rowCount", async () => {
      const created = await sql.query("create table people (id serial primary key, name varchar(20))", [], {
        fullResults: true,
      });
      assert.deepEqual([created.command, created.rowCount], ["CREATE", null]);
      const inserted = await sql.query("insert into people (name) values ($1), ($2)", ["ann", "bob"], {
        fullResults: true,
      });
      assert.deepEqual([inserted.command, inserted.rowCount, inserted.rows], ["INSERT", 2, []]);

      const selected = await sql.query("select id, name, $1::int as n from people order by id", [7], {
        fullResults: true,
        arrayMode: true,
      });
      assert.deepEqual([selected.command, selected.rowCount], ["SELECT", 2]);
      assert.deepEqual(selected.rows, [[1, "ann", 7], [2, "bob", 7]]);
      const [id, name, n] = selected.fields;
      assert.ok(id.tableID > 0);
      assert.deepEqual({ ...id, tableID: 0 }, {
        name: "id",
        dataTypeID: 23,
        tableID: 0,
        columnID: 1,
        dataTypeSize: 4,
        dataTypeModifier: -1,
        format: "text",
      });
      assert.deepEqual([name.tableID, name.columnID, name.dataTypeID, name.dataTypeModifier], [
        id.tableID,
        2,
        1043,
        24,
      ]);
      assert.deepEqual([n.tableID, n.columnID, n.dataTypeSize, n.dataTypeModifier], [0, 0, 4, -1]);
    });

    await t.step("SQL errors carry SQLSTATE and the server's fields", async () => {
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
      });
      assert.match(err.message, /duplicate key value violates unique constraint "users_email_key"/);
      await rejectsWith(sql`selec 1`, { code: "42601", position: "1" });
      await rejectsWith(sql`select 1; select 2`, { code: "42601" });
    });

    await t.step("sql.transaction is atomic and returns per-query results", async () => {
      await sql`create table items (id int primary key, label text)`;
      const [inserted, counted] = await sql.transaction([
        sql`insert into items values (1, 'one'), (2, 'two') returning id`,
        sql`select count(*)::int as n from items`,
      ], { isolationLevel: "Serializable" });
      assert.deepEqual(inserted, [{ id: 1 }, { id: 2 }]);
      assert.deepEqual(counted, [{ n: 2 }]);

      await rejectsWith(
        sql.transaction([
          sql`insert into items values (3, 'three')`,
          sql`insert into items values (1, 'dup')`,
        ]),
        { code: "23505", constraint: "items_pkey", detail: "Key (id)=(1) already exists." },
      );
      await rejectsWith(sql.transaction([sql`insert into items values (4, 'four')`], { readOnly: true }), {
        code: "25006",
      });
      // The isolation level really is applied, not just accepted.
      const [[level]] = await sql.transaction(
        [sql`select current_setting('transaction_isolation') as level`],
        {
          isolationLevel: "RepeatableRead",
        },
      );
      assert.deepEqual(level, { level: "repeatable read" });
      assert.deepEqual(await sql`select id from items order by id`, [{ id: 1 }, { id: 2 }]);
    });

    await t.step("drizzle-orm/neon-http: insert, select, update returning, batch", async () => {
      await keepingDateParsers(async () => {
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

        await rejectsWith(
          db.batch([db.update(notes).set({ votes: 100 }), db.insert(notes).values({ body: "hello" })]),
          { code: "23505" },
        );
        assert.deepEqual(await db.select({ votes: notes.votes }).from(notes).orderBy(notes.id), [
          { votes: 4 },
          { votes: 1 },
        ]);
      });
    });

    await t.step("an outage fails the client; a restart on the same port serves again", async () => {
      await standIn.close();
      const err = await rejectsWith(sql`select 1 as up`, { name: "NeonDbError" });
      assert.match(err.message, /^Error connecting to database/);
      standIn = await startNeonHttpStandIn(backend, { port: standIn.port });
      assert.deepEqual(await sql`select 1 as up`, [{ up: 1 }]);
    });
  } finally {
    await standIn.close();
    await backend.close();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
});
