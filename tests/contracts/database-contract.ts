import { strict as assert } from "node:assert";
import { eq, sql } from "drizzle-orm";
import { jobs, mailOutbox } from "../../db/schema/index.ts";
import { uuidv7 } from "../../src/core/ids.ts";
import type { Database } from "../../src/platform/db/database.ts";

/** What every database adapter must do the same way: drizzle queries, `rows`, `atomic`, ping. */
export async function databaseContract(t: Deno.TestContext, database: Database): Promise<void> {
  const { db } = database;

  await t.step("insert … returning, then select: types round-trip", async () => {
    const id = uuidv7();
    const runAt = new Date("2026-03-08T05:59:59.123Z");
    const payload = { text: "Olá, ação! 🚀", n: 42, nested: { ok: true, list: [1, 2] }, none: null };
    const [inserted] = await db.insert(jobs).values({
      id,
      name: "contract.t",
      payload,
      runAt,
      maxAttempts: 3,
    })
      .returning();
    assert.equal(inserted.id, id);
    assert.ok(inserted.createdAt instanceof Date);
    const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
    assert.deepEqual(row.payload, payload);
    assert.ok(row.runAt instanceof Date);
    assert.equal(row.runAt.toISOString(), runAt.toISOString());
    assert.equal(row.status, "pending");
    assert.equal(row.attempts, 0);
    assert.equal(row.dedupeId, null);
  });

  await t.step("rows(): raw SQL answers plain objects on every driver", async () => {
    const rows = await database.rows<{ n: number; s: string; b: boolean }>(
      sql`select 1::int as n, 'x'::text as s, true as b`,
    );
    assert.deepEqual(rows, [{ n: 1, s: "x", b: true }]);
  });

  await t.step("update … returning and conflicts", async () => {
    const dedupe = `contract-${uuidv7()}`;
    const first = await db.insert(jobs).values({
      id: uuidv7(),
      name: "contract.t",
      payload: {},
      runAt: new Date(),
      maxAttempts: 1,
      dedupeId: dedupe,
    }).onConflictDoNothing({ target: jobs.dedupeId }).returning({ id: jobs.id });
    const second = await db.insert(jobs).values({
      id: uuidv7(),
      name: "contract.t",
      payload: {},
      runAt: new Date(),
      maxAttempts: 1,
      dedupeId: dedupe,
    }).onConflictDoNothing({ target: jobs.dedupeId }).returning({ id: jobs.id });
    assert.equal(first.length, 1);
    assert.equal(second.length, 0);
    const updated = await db.update(jobs).set({ attempts: sql`${jobs.attempts} + 5` })
      .where(eq(jobs.dedupeId, dedupe)).returning({ attempts: jobs.attempts });
    assert.deepEqual(updated, [{ attempts: 5 }]);
  });

  await t.step("atomic: every statement applies and each result comes back", async () => {
    const a = uuidv7();
    const m = uuidv7();
    const [insertedJob, insertedMail] = await database.atomic((tx) =>
      [
        tx.insert(jobs).values({
          id: a,
          name: "contract.atomic",
          payload: {},
          runAt: new Date(),
          maxAttempts: 1,
        })
          .returning({ id: jobs.id }),
        tx.insert(mailOutbox).values({ id: m, toAddress: "a@b.c", subject: "s", textBody: "t", kind: "test" })
          .returning({ id: mailOutbox.id }),
      ] as const
    );
    assert.deepEqual(insertedJob, [{ id: a }]);
    assert.deepEqual(insertedMail, [{ id: m }]);
  });

  await t.step("atomic: a failing statement undoes the ones before it", async () => {
    const dup = uuidv7();
    const m = uuidv7();
    await db.insert(jobs).values({
      id: dup,
      name: "contract.dup",
      payload: {},
      runAt: new Date(),
      maxAttempts: 1,
    });
    await assert.rejects(() =>
      database.atomic((tx) =>
        [
          tx.insert(mailOutbox).values({
            id: m,
            toAddress: "x@y.z",
            subject: "s",
            textBody: "t",
            kind: "test",
          }),
          tx.insert(jobs).values({
            id: dup,
            name: "contract.dup",
            payload: {},
            runAt: new Date(),
            maxAttempts: 1,
          }),
        ] as const
      )
    );
    const left = await db.select().from(mailOutbox).where(eq(mailOutbox.id, m));
    assert.equal(left.length, 0, "the first insert was rolled back");
  });

  await t.step("ping", async () => {
    await database.ping();
  });
}
