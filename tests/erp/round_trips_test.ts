import { strict as assert } from "node:assert";
import type { PGlite } from "@electric-sql/pglite";
import { createTestContext } from "../support/harness.ts";
import { registerTenant } from "../support/identity.ts";
import { connectErp } from "../support/erp.ts";
import { IXC_TOKEN, startIxcStandIn } from "../support/erp-ixc-standin.ts";

/**
 * Reads of the ERP routes make at most one SQL round trip after authentication (the ERP call is
 * not one; the call-log insert goes to the background). Counted at the PGlite client, on an IXC
 * connection, so the ERP itself is not a database here; each route is called once to warm the
 * caches (authentication's included) and counted on the second call.
 */
Deno.test("ERP read routes: at most one SQL statement each", async () => {
  if (Deno.env.get("PYTAKE_TEST_DATABASE") === "postgres") return;
  const ixc = await startIxcStandIn();
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await connectErp(ctx, owner.token, "ixc", { api_url: ixc.url, api_key: IXC_TOKEN });
    const sync = await ctx.request("/api/v1/erp/ixc/sync", { method: "POST", token: owner.token });
    const syncId = (await sync.json()).id;
    await ctx.services.runner!.drain();
    await ctx.settle();

    const client = (ctx.services.database as unknown as { client: PGlite }).client;
    const original = client.query.bind(client);
    let recording: string[] | undefined;
    client.query = ((text: string, ...rest: unknown[]) => {
      recording?.push(text);
      return (original as (...a: unknown[]) => unknown)(text, ...rest);
    }) as typeof client.query;
    // A batch (`database.atomic`) is a transaction here and one HTTP request on Neon.
    const transaction = client.transaction.bind(client);
    client.transaction = ((fn: never) => {
      recording?.push("batch");
      return transaction(fn);
    }) as typeof client.transaction;

    const routes = [
      "/api/v1/erp/ixc/status",
      "/api/v1/erp/ixc/settings",
      "/api/v1/erp/ixc/customers/52998224725",
      "/api/v1/erp/ixc/invoices?customer_id=1",
      "/api/v1/erp/ixc/connection-status/2",
      "/api/v1/erp/ixc/tickets?customer_id=2",
      "/api/v1/erp/ixc/plans",
      "/api/v1/erp/ixc/logs?limit=5",
      "/api/v1/erp/ixc/sync",
      `/api/v1/erp/ixc/sync/${syncId}`,
      "/api/v1/erp/metrics",
    ];
    const counts: Record<string, number> = {};
    for (const path of routes) {
      const warm = await ctx.request(path, { token: owner.token });
      assert.equal(warm.status, 200, `${path}: ${await warm.text()}`);
      await ctx.settle();
      recording = [];
      const res = await ctx.request(path, { token: owner.token });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      counts[path] = recording.filter((q) => !/insert into "erp_call_logs"/i.test(q)).length;
      recording = undefined;
      await ctx.settle();
    }
    // The counter sees the statements (every one of these routes reads the connection or its data).
    assert.ok(Object.values(counts).every((n) => n >= 1), JSON.stringify(counts));
    for (const [path, n] of Object.entries(counts)) assert.ok(n <= 1, `${path}: ${n} statements`);
  } finally {
    await ctx.close();
    await ixc.close();
  }
});
