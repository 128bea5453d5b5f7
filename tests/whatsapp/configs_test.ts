import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { addUser, registerTenant } from "../support/identity.ts";
import { addNumber, type NumberView } from "../support/whatsapp.ts";

type Problem = { code: string; errors?: { path: string }[]; limit?: string; max?: number };

Deno.test("WhatsApp numbers: defaults, plan limit, duplicates, updates, removal", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    const list = async () => (await body<{ data: NumberView[]; meta: { total: number } }>(
      await ctx.request("/api/v1/whatsapp-configs", { token: owner.token }),
    ));
    let first: NumberView, second: NumberView;

    await t.step("the first number is the default; the next is not unless asked", async () => {
      first = await addNumber(ctx, owner.token, {
        api_type: "sandbox",
        name: "Um",
        phone_number: "(11) 95555-0001",
      });
      assert.equal(first.phone_number, "+5511955550001", "normalised to E.164");
      assert.equal(first.is_default, true);
      second = await addNumber(ctx, owner.token, {
        api_type: "sandbox",
        name: "Dois",
        phone_number: "+5511955550002",
      });
      assert.equal(second.is_default, false);
      const third = await addNumber(ctx, owner.token, {
        api_type: "sandbox",
        name: "Três",
        phone_number: "+5511955550003",
        is_default: true,
      });
      const all = await list();
      assert.deepEqual(all.data.filter((n) => n.is_default).map((n) => n.id), [third.id], "one default only");
    });

    await t.step("the starter plan allows three numbers", async () => {
      const res = await ctx.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token: owner.token,
        json: { api_type: "sandbox", name: "Quatro", phone_number: "+5511955550004" },
      });
      const p = await body<Problem>(res);
      assert.equal(res.status, 429);
      assert.deepEqual([p.code, p.limit, p.max], ["quota_exceeded", "whatsapp_numbers", 3]);
      assert.equal(
        (await list()).data.filter((n) => n.is_default).length,
        1,
        "the refused one took no default away",
      );
    });

    await t.step("the same phone twice in a tenant: 409", async () => {
      await ctx.request(`/api/v1/whatsapp-configs/${second.id}`, { method: "DELETE", token: owner.token })
        .then((r) => assert.equal(r.status, 204));
      const dup = await ctx.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token: owner.token,
        json: { api_type: "sandbox", name: "Dup", phone_number: "+5511955550001" },
      });
      assert.equal(dup.status, 409);
      await dup.body?.cancel();
      const gone = await ctx.request(`/api/v1/whatsapp-configs/${second.id}`, { token: owner.token });
      assert.equal(gone.status, 404, "a removed number is gone from the API");
      await gone.body?.cancel();
    });

    await t.step("credentials only for their type; bad URLs and numbers refused", async () => {
      const wrong = await ctx.request(`/api/v1/whatsapp-configs/${first.id}`, {
        method: "PUT",
        token: owner.token,
        json: { access_token: "EAAGsomething1234" },
      });
      const p = await body<Problem>(wrong);
      assert.equal(wrong.status, 422);
      assert.equal(p.errors![0].path, "body.access_token");
      const privateUrl = await ctx.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token: owner.token,
        json: {
          api_type: "evolution",
          name: "E",
          phone_number: "+5511955550009",
          instance_name: "x",
          base_url: "ftp://files.example.com",
          api_key: "k".repeat(8),
        },
      });
      assert.equal(privateUrl.status, 422);
      assert.equal((await body<Problem>(privateUrl)).errors![0].path, "body.base_url");
      const badPhone = await ctx.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token: owner.token,
        json: { api_type: "sandbox", name: "X", phone_number: "12345678" },
      });
      assert.equal(badPhone.status, 422);
      await badPhone.body?.cancel();
    });

    await t.step("agents read numbers but cannot change them", async () => {
      const agent = await addUser(ctx, owner.token, "agent");
      assert.equal((await ctx.request("/api/v1/whatsapp-configs", { token: agent.token })).status, 200);
      const change = await ctx.request(`/api/v1/whatsapp-configs/${first.id}`, {
        method: "PUT",
        token: agent.token,
        json: { name: "nope" },
      });
      assert.equal(change.status, 403);
      await change.body?.cancel();
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("WhatsApp numbers: a private Evolution URL is refused outside dev", async () => {
  const ctx = await createTestContext({ env: { ALLOW_PRIVATE_TARGETS: "false" } });
  try {
    const owner = await registerTenant(ctx);
    for (
      const base_url of [
        "http://127.0.0.1:8080",
        "http://10.0.0.5",
        "http://169.254.169.254",
        "http://localhost:8080",
      ]
    ) {
      const res = await ctx.request("/api/v1/whatsapp-configs", {
        method: "POST",
        token: owner.token,
        json: {
          api_type: "evolution",
          name: "E",
          phone_number: "+5511955550009",
          instance_name: "x",
          base_url,
          api_key: "k".repeat(8),
        },
      });
      const p = await body<Problem>(res);
      assert.equal(res.status, 422, `${base_url}: ${JSON.stringify(p)}`);
      assert.equal(p.errors![0].path, "body.base_url");
    }
  } finally {
    await ctx.close();
  }
});
