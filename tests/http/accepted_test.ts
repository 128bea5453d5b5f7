import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { uploadContacts } from "../support/contacts.ts";
import { registerTenant } from "../support/identity.ts";
import { type OpenApiDoc, operations } from "../support/openapi-sample.ts";

/**
 * Every 202 of the API says where to follow the work: a documented `Location` header naming the
 * resource whose GET tells its state. The one exception is deliberate and says why.
 */

/** 202s with nothing to follow, on purpose. */
const NOTHING_TO_FOLLOW: Record<string, string> = {
  forgotPassword: "the answer must not tell whether the email has an account",
};

Deno.test("202: every accepted answer documents Location, and the import's leads to the import", async (t) => {
  const ctx = await createTestContext();
  try {
    const doc = await body<OpenApiDoc>(await ctx.request("/openapi.json"));

    await t.step("the document: each 202 has a Location header naming a GET route", () => {
      let accepted = 0;
      for (const { method, path, op } of operations(doc)) {
        const res = (op as unknown as { responses: Record<string, { headers?: Record<string, unknown> }> })
          .responses["202"];
        if (!res) continue;
        accepted++;
        if (NOTHING_TO_FOLLOW[op.operationId]) {
          assert.equal(
            res.headers?.Location,
            undefined,
            `${op.operationId} documents a Location it never sends`,
          );
          continue;
        }
        const location = res.headers?.Location as { description: string } | undefined;
        assert.ok(location, `${method.toUpperCase()} ${path}: its 202 does not document Location`);
        const follow = location.description.match(/`GET ([^`]+)`/)?.[1];
        assert.ok(
          follow && doc.paths[follow]?.get,
          `${method.toUpperCase()} ${path}: Location names ${follow}`,
        );
      }
      assert.ok(accepted >= 11, `the sends, the resend, the import and forgot-password: ${accepted}`);
    });

    await t.step(
      "the contacts import answers 202 with Location, and following it shows the import",
      async () => {
        const owner = await registerTenant(ctx);
        const res = await uploadContacts(ctx, owner.token, "nome,telefone\nAna,+5511912348001\n");
        const accepted = await body<{ id: string }>(res);
        assert.equal(res.status, 202);
        const location = res.headers.get("location");
        assert.equal(location, `/api/v1/contacts/imports/${accepted.id}`);
        await ctx.services.runner!.drain();
        const followed = await ctx.request(location!, { token: owner.token });
        const imp = await body<{ id: string; status: string; created: number }>(followed);
        assert.equal(followed.status, 200);
        assert.deepEqual([imp.id, imp.status, imp.created], [accepted.id, "completed", 1]);
      },
    );
  } finally {
    await ctx.close();
  }
});
