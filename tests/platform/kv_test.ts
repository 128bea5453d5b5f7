import { MemoryKV } from "../../src/platform/kv/memory-kv.ts";
import { kvContract } from "../contracts/kv-contract.ts";

Deno.test("KV contract: in-memory", async (t) => {
  let now = Date.now();
  await kvContract(t, () =>
    Promise.resolve({
      kv: new MemoryKV(() => now),
      pass: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    }));
});
