import { strict as assert } from "node:assert";
import { DeliveryLedger } from "../../src/platform/jobs/delivery-ledger.ts";
import { MemoryKV } from "../../src/platform/kv/memory-kv.ts";

Deno.test("delivery ledger: one run per QStash message, one use per signature", async (t) => {
  let now = Date.parse("2026-12-04T12:00:00Z");
  const kv = new MemoryKV(() => now);
  const ledger = new DeliveryLedger(kv, { lockSeconds: 60, keepSeconds: 3600 });

  await t.step("the first delivery claims it; a second one meanwhile finds it running", async () => {
    assert.equal(await ledger.claim("msg_1"), "claimed");
    assert.equal(await ledger.claim("msg_1"), "running");
  });
  await t.step("once completed, every later delivery is told so", async () => {
    await ledger.finish("msg_1", "completed");
    assert.equal(await ledger.claim("msg_1"), "completed");
  });
  await t.step("a failed run released for QStash's retry can be claimed again", async () => {
    assert.equal(await ledger.claim("msg_2"), "claimed");
    await ledger.release("msg_2");
    assert.equal(await ledger.claim("msg_2"), "claimed");
    await ledger.finish("msg_2", "dead");
    assert.equal(await ledger.claim("msg_2"), "dead");
  });
  await t.step("a claim whose receiver died runs out after its lock", async () => {
    assert.equal(await ledger.claim("msg_3"), "claimed");
    now += 61_000;
    assert.equal(await ledger.claim("msg_3"), "claimed");
  });
  await t.step("a signature is good once, and remembered until it would expire", async () => {
    const exp = Math.floor(now / 1000) + 300;
    assert.equal(await ledger.firstUseOfSignature("jwt_a", exp, now), true);
    assert.equal(await ledger.firstUseOfSignature("jwt_a", exp, now), false);
    now += 299_000;
    assert.equal(await ledger.firstUseOfSignature("jwt_a", exp, now), false, "still inside its lifetime");
    assert.equal(await ledger.firstUseOfSignature("jwt_b", exp, now), true);
  });
});
