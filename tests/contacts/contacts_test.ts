import { strict as assert } from "node:assert";
import { sql } from "drizzle-orm";
import { strToU8, zipSync } from "fflate";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { createContact, importContacts, type ImportView, uploadContacts } from "../support/contacts.ts";
import { type Account, addUser, createApiKey, registerTenant, setPlan } from "../support/identity.ts";
import { addSandboxNumber, customerWrites } from "../support/whatsapp.ts";

type Contact = {
  id: string;
  phone: string;
  wa_id: string | null;
  name: string | null;
  email: string | null;
  tags: string[];
  attributes: Record<string, unknown>;
  opt_in: boolean | null;
  opt_in_at: string | null;
  opt_out_at: string | null;
  blocked: boolean;
  created_at: string;
  updated_at: string;
};
type Page<T> = { data: T[]; meta: { page: number; limit: number; total: number } };
type Problem = {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  existing_id?: string | null;
};
type RowError = { row: number; field: string; reason: string; value: string | null };
type Import = ImportView & {
  progress: number;
  format: string;
  error: string | null;
  file_sha256: string;
  completed_at: string | null;
};

/** A tenant with room for the many requests of one test (the starter plan allows 120 a minute). */
async function roomyTenant(ctx: TestContext): Promise<Account> {
  const owner = await registerTenant(ctx);
  await setPlan(ctx, owner.tenantId, "enterprise");
  return owner;
}

async function call<T = Record<string, unknown>>(
  ctx: TestContext,
  token: string,
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; body: T; res: Response }> {
  const res = await ctx.request(path, { ...init, token });
  return { status: res.status, body: await body<T>(res), res };
}

const list = async (ctx: TestContext, token: string, query = "") =>
  (await call<Page<Contact>>(ctx, token, `/api/v1/contacts${query}`)).body;

const phonesOf = (p: Page<Contact>) => p.data.map((c) => c.phone).sort();

function assertProblem(r: { status: number; body: unknown; res: Response }, status: number, code: string) {
  const b = r.body as Problem;
  assert.equal(r.status, status, JSON.stringify(b));
  assert.equal(b.code, code, JSON.stringify(b));
  assert.match(r.res.headers.get("content-type") ?? "", /application\/problem\+json/);
}

const randomId = () => crypto.randomUUID();

// ---------------------------------------------------------------------------------------------
// Create

Deno.test("contacts: create normalises the phone to E.164 and the email to lower case", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const post = (json: unknown) =>
      call<Contact & Problem>(ctx, owner.token, "/api/v1/contacts", {
        method: "POST",
        json,
      });

    let first: Contact;
    await t.step("Brazilian formatting becomes E.164", async () => {
      const r = await post({
        phone: "(11) 98765-4321",
        name: "  João da Silva ",
        email: "Joao.Silva@Example.COM",
        tags: ["cliente", "vip", "cliente"],
        attributes: { plano: "500 Mega" },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      first = r.body;
      assert.equal(first.phone, "+5511987654321");
      assert.equal(first.wa_id, "5511987654321");
      assert.equal(first.name, "João da Silva");
      assert.equal(first.email, "joao.silva@example.com");
      assert.deepEqual(first.tags, ["cliente", "vip"]);
      assert.deepEqual(first.attributes, { plano: "500 Mega" });
      assert.equal(first.opt_in, null);
      assert.equal(first.blocked, false);

      const second = await post({ phone: "21912345678" });
      assert.equal(second.status, 201, JSON.stringify(second.body));
      assert.equal(second.body.phone, "+5521912345678", "digits without +55 are a Brazilian number");
      const third = await post({ phone: "+55 31 99876-5432" });
      assert.equal(third.status, 201, JSON.stringify(third.body));
      assert.equal(third.body.phone, "+5531998765432");
    });

    await t.step("the same number in another format is a 409 naming the existing contact", async () => {
      for (const phone of ["+55 11 98765-4321", "11987654321", "5511987654321", "+5511987654321"]) {
        const r = await post({ phone, name: "Outro" });
        assertProblem(r, 409, "conflict");
        assert.equal(r.body.existing_id, first.id, phone);
      }
      const all = await list(ctx, owner.token);
      assert.equal(all.meta.total, 3, "nothing was created by the refused requests");
    });

    await t.step("bad phone, bad email and a tag with a comma are 422", async () => {
      for (
        const [json, path] of [
          [{ phone: "12345678" }, "phone"],
          [{ phone: "(11) 1234" }, "phone"],
          [{ phone: "not a phone number" }, "phone"],
          [{ phone: "+5511912340001", email: "joao@" }, "email"],
          [{ phone: "+5511912340001", email: "joao silva@example.com" }, "email"],
          [{ phone: "+5511912340001", tags: ["a,b"] }, "tags"],
          [{ phone: "+5511912340001", tags: [""] }, "tags"],
          [{ name: "Sem telefone" }, "phone"],
        ] as const
      ) {
        const r = await post(json);
        assertProblem(r, 422, "validation_failed");
        assert.ok(
          r.body.errors?.some((e) => e.path.includes(path)),
          `${JSON.stringify(json)} → ${JSON.stringify(r.body.errors)}`,
        );
      }
      assert.equal((await list(ctx, owner.token)).meta.total, 3);
    });

    await t.step("an unknown field is refused (strict body)", async () => {
      const r = await post({ phone: "+5511912340001", nickname: "Jota" });
      assertProblem(r, 422, "validation_failed");
    });

    await t.step("malformed JSON is a 400", async () => {
      const res = await ctx.request("/api/v1/contacts", {
        method: "POST",
        token: owner.token,
        headers: { "content-type": "application/json" },
        body: '{"phone": "+5511912340001",',
      });
      assertProblem({ status: res.status, body: await body(res), res }, 400, "malformed_json");
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Get and update

Deno.test("contacts: get and update", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const ana = await createContact(ctx, owner.token, {
      phone: "+5511912340001",
      name: "Ana",
      email: "ana@example.com",
      tags: ["lead", "site"],
      attributes: { plano: "100 Mega", cidade: "Campinas", vencimento: 10 },
    });
    const bia = await createContact(ctx, owner.token, { phone: "+5511912340002", name: "Bia" });
    const get = (id: string) => call<Contact & Problem>(ctx, owner.token, `/api/v1/contacts/${id}`);
    const put = (id: string, json: unknown) =>
      call<Contact & Problem>(ctx, owner.token, `/api/v1/contacts/${id}`, { method: "PUT", json });

    await t.step("get answers the contact; a random id is 404", async () => {
      const r = await get(ana.id);
      assert.equal(r.status, 200);
      assert.equal(r.body.name, "Ana");
      assert.equal(r.body.phone, "+5511912340001");
      assertProblem(await get(randomId()), 404, "not_found");
      assertProblem(await put(randomId(), { name: "X" }), 404, "not_found");
    });

    await t.step("name, email and tags (replaced); fields left out stay", async () => {
      const r = await put(ana.id, { name: "Ana Paula", email: "ANA.PAULA@Example.com", tags: ["cliente"] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.name, "Ana Paula");
      assert.equal(r.body.email, "ana.paula@example.com");
      assert.deepEqual(r.body.tags, ["cliente"]);
      assert.equal(r.body.phone, "+5511912340001");
      assert.deepEqual(r.body.attributes, { plano: "100 Mega", cidade: "Campinas", vencimento: 10 });
      assert.deepEqual((await get(ana.id)).body, r.body, "the change is stored");
    });

    await t.step("attributes merge; a null value removes its key", async () => {
      const r = await put(ana.id, { attributes: { plano: "500 Mega", cidade: null, cpf_ok: true } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.attributes, { plano: "500 Mega", vencimento: 10, cpf_ok: true });
      assert.deepEqual((await get(ana.id)).body.attributes, r.body.attributes);
    });

    await t.step("opt_in true stamps opt_in_at; false then stamps opt_out_at", async () => {
      const optedIn = await put(ana.id, { opt_in: true });
      assert.equal(optedIn.status, 200);
      assert.equal(optedIn.body.opt_in, true);
      assert.ok(optedIn.body.opt_in_at, "opt_in_at set");
      assert.equal(optedIn.body.opt_out_at, null);
      ctx.clock.advance(60_000);
      const optedOut = await put(ana.id, { opt_in: false });
      assert.equal(optedOut.body.opt_in, false);
      assert.equal(optedOut.body.opt_in_at, optedIn.body.opt_in_at, "the consent time is kept");
      assert.ok(optedOut.body.opt_out_at, "opt_out_at set");
      assert.ok(optedOut.body.opt_out_at > optedIn.body.opt_in_at!);
    });

    await t.step("blocked", async () => {
      const r = await put(ana.id, { blocked: true });
      assert.equal(r.body.blocked, true);
      assert.equal((await get(ana.id)).body.blocked, true);
      assert.equal((await put(ana.id, { blocked: false })).body.blocked, false);
    });

    await t.step("a phone in another format is normalised; another contact's phone is 409", async () => {
      const moved = await put(ana.id, { phone: "(11) 91234-0009" });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.phone, "+5511912340009");
      assert.equal(moved.body.wa_id, "5511912340009");
      const taken = await put(ana.id, { phone: "11 91234-0002" });
      assertProblem(taken, 409, "conflict");
      assert.equal(taken.body.existing_id, bia.id);
      assert.equal((await get(ana.id)).body.phone, "+5511912340009", "the refused change left no trace");
      assertProblem(await put(ana.id, { phone: "123" }), 422, "validation_failed");
      assertProblem(await put(ana.id, { phone: "(11) 1234-00" }), 422, "validation_failed");
    });

    await t.step("an unknown field, an empty body, a bad email are 422", async () => {
      const before = (await get(ana.id)).body;
      assertProblem(await put(ana.id, { name: "X", nickname: "Aninha" }), 422, "validation_failed");
      assertProblem(await put(ana.id, {}), 422, "validation_failed");
      assertProblem(await put(ana.id, { email: "ana at example" }), 422, "validation_failed");
      assertProblem(await put(ana.id, { tags: ["ok", "no;semicolons"] }), 422, "validation_failed");
      assert.deepEqual((await get(ana.id)).body, before);
    });

    await t.step("email and name may be cleared with null", async () => {
      const r = await put(ana.id, { email: null });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.email, null);
      assert.equal(r.body.name, "Ana Paula");
    });

    await t.step("malformed JSON on update is a 400", async () => {
      const res = await ctx.request(`/api/v1/contacts/${ana.id}`, {
        method: "PUT",
        token: owner.token,
        headers: { "content-type": "application/json" },
        body: "{name: 'x'}",
      });
      assertProblem({ status: res.status, body: await body(res), res }, 400, "malformed_json");
    });

    await t.step("a path id that is not a uuid is a 422 naming it", async () => {
      const r = await call<Problem>(ctx, owner.token, "/api/v1/contacts/not-a-uuid");
      assertProblem(r, 422, "validation_failed");
      assert.deepEqual(r.body.errors?.map((e) => e.path), ["path.id"]);
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// List and search

Deno.test("contacts: list filters, pagination and search", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const joao = await createContact(ctx, owner.token, {
      phone: "(11) 98765-4321",
      name: "João Araújo",
      email: "jaraujo@provedor.com.br",
      tags: ["vip", "cliente"],
      opt_in: true,
    });
    ctx.clock.advance(1000);
    const conceicao = await createContact(ctx, owner.token, {
      phone: "+55 21 99999-0001",
      name: "Maria da Conceição",
      email: "maria@example.com",
      tags: ["cliente"],
      opt_in: false,
    });
    ctx.clock.advance(1000);
    const lead = await createContact(ctx, owner.token, {
      phone: "+55 31 99999-0002",
      name: "Pedro Lead",
      tags: ["lead", "vip"],
      blocked: true,
    });
    ctx.clock.advance(1000);
    const plain = await createContact(ctx, owner.token, { phone: "+55 41 99999-0003" });
    const other = await registerTenant(ctx);
    await createContact(ctx, other.token, { phone: "(11) 98765-4321", name: "João de outro tenant" });

    await t.step("newest first, with the page meta", async () => {
      const all = await list(ctx, owner.token);
      assert.deepEqual(all.meta, { page: 1, limit: 20, total: 4 });
      assert.deepEqual(all.data.map((c) => c.id), [plain.id, lead.id, conceicao.id, joao.id]);
      const p1 = await list(ctx, owner.token, "?limit=3");
      assert.deepEqual(p1.meta, { page: 1, limit: 3, total: 4 });
      assert.equal(p1.data.length, 3);
      const p2 = await list(ctx, owner.token, "?limit=3&page=2");
      assert.deepEqual(p2.meta, { page: 2, limit: 3, total: 4 });
      assert.deepEqual(p2.data.map((c) => c.id), [joao.id]);
      assert.equal((await list(ctx, owner.token, "?page=9")).data.length, 0);
      assertProblem(
        await call(ctx, owner.token, "/api/v1/contacts?limit=101"),
        422,
        "validation_failed",
      );
      assertProblem(await call(ctx, owner.token, "/api/v1/contacts?page=0"), 422, "validation_failed");
    });

    await t.step("tags: any by default, all with tags_match=all", async () => {
      const any = await list(ctx, owner.token, "?tags=vip,lead");
      assert.deepEqual(any.data.map((c) => c.id).sort(), [joao.id, lead.id].sort());
      assert.equal(any.meta.total, 2);
      const anyCliente = await list(ctx, owner.token, "?tags=cliente");
      assert.deepEqual(anyCliente.data.map((c) => c.id).sort(), [joao.id, conceicao.id].sort());
      const all = await list(ctx, owner.token, "?tags=vip,cliente&tags_match=all");
      assert.deepEqual(all.data.map((c) => c.id), [joao.id]);
      assert.equal(all.meta.total, 1);
      assert.equal((await list(ctx, owner.token, "?tags=vip,lead,cliente&tags_match=all")).meta.total, 0);
      assert.equal((await list(ctx, owner.token, "?tags=nenhuma")).meta.total, 0);
      assertProblem(
        await call(ctx, owner.token, "/api/v1/contacts?tags=vip&tags_match=some"),
        422,
        "validation_failed",
      );
    });

    await t.step("opt_in and blocked filters", async () => {
      assert.deepEqual((await list(ctx, owner.token, "?opt_in=true")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual(
        (await list(ctx, owner.token, "?opt_in=false")).data.map((c) => c.id),
        [conceicao.id],
        "opt_in=false: those who said no, not those never asked",
      );
      assert.deepEqual((await list(ctx, owner.token, "?blocked=true")).data.map((c) => c.id), [lead.id]);
      assert.equal((await list(ctx, owner.token, "?blocked=false")).meta.total, 3);
      assert.deepEqual(
        (await list(ctx, owner.token, "?tags=vip&blocked=false")).data.map((c) => c.id),
        [joao.id],
      );
      assertProblem(await call(ctx, owner.token, "/api/v1/contacts?opt_in=yes"), 422, "validation_failed");
    });

    await t.step("updated_since: contacts changed from that moment on", async () => {
      const leadAt = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${lead.id}`)).body.created_at;
      const since = encodeURIComponent(leadAt);
      assert.deepEqual(
        (await list(ctx, owner.token, `?updated_since=${since}`)).data.map((c) => c.id),
        [plain.id, lead.id],
      );
      assertProblem(
        await call(ctx, owner.token, "/api/v1/contacts?updated_since=ontem"),
        422,
        "validation_failed",
      );
    });

    const search = async (q: string, extra = "") =>
      (await call<Page<Contact>>(
        ctx,
        owner.token,
        `/api/v1/contacts/search?q=${encodeURIComponent(q)}${extra}`,
      )).body;

    await t.step("search ignores case and accents", async () => {
      assert.deepEqual((await search("joao")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual((await search("JOÃO")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual((await search("araujo")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual((await search("CONCEICAO")).data.map((c) => c.id), [conceicao.id]);
      assert.deepEqual((await search("conceição")).data.map((c) => c.id), [conceicao.id]);
      assert.equal((await search("joao")).meta.total, 1, "the other tenant's João is not found");
      assert.equal((await search("zzz")).meta.total, 0);
    });

    await t.step("every word must match, in any order", async () => {
      assert.deepEqual((await search("araujo joao")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual((await search("  PROVEDOR   joão ")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual(
        (await search("joao 98765-4321")).data.map((c) => c.id),
        [joao.id],
        "a phone word by digits",
      );
      assert.equal((await search("joao conceicao")).meta.total, 0, "no contact has both");
      assert.equal((await search("maria zzz")).meta.total, 0);
    });

    await t.step("search by phone digits in any formatting", async () => {
      for (const q of ["98765-4321", "(11) 98765", "+55 11 98765-4321", "987654321", "11987654321"]) {
        assert.deepEqual((await search(q)).data.map((c) => c.id), [joao.id], q);
      }
      assert.deepEqual(
        (await search("99999-000")).data.map((c) => c.id),
        [plain.id, lead.id, conceicao.id],
      );
    });

    await t.step("search by an email fragment", async () => {
      assert.deepEqual((await search("provedor.com")).data.map((c) => c.id), [joao.id]);
      assert.deepEqual((await search("MARIA@")).data.map((c) => c.id), [conceicao.id]);
    });

    await t.step("search combines with the list filters and paginates", async () => {
      assert.deepEqual((await search("99999-000", "&blocked=true")).data.map((c) => c.id), [lead.id]);
      assert.deepEqual((await search("99999-000", "&tags=cliente")).data.map((c) => c.id), [conceicao.id]);
      const p = await search("99999-000", "&limit=2&page=2");
      assert.deepEqual(p.meta, { page: 2, limit: 2, total: 3 });
      assert.deepEqual(p.data.map((c) => c.id), [conceicao.id]);
    });

    await t.step("% and _ in the query are literal", async () => {
      assert.equal((await search("%%")).meta.total, 0);
      assert.equal((await search("__")).meta.total, 0);
      assert.equal((await search("jo%o")).meta.total, 0);
    });

    await t.step("/contacts/search is not taken for a contact id", async () => {
      const noQuery = await call<Problem>(ctx, owner.token, "/api/v1/contacts/search");
      assertProblem(noQuery, 422, "validation_failed");
      assert.ok(noQuery.body.errors?.some((e) => e.path.includes("q")), JSON.stringify(noQuery.body));
      assertProblem(
        await call(ctx, owner.token, "/api/v1/contacts/search?q=a"),
        422,
        "validation_failed",
      );
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Tags

Deno.test("contacts: a search of several words still uses the trigram index", async () => {
  const ctx = await createTestContext();
  try {
    const { contactMatches } = await import("../../src/contacts/contact-search.ts");
    // With no rows the planner prefers a scan; force the choice it makes on big tables.
    await ctx.services.database.rows(sql`set enable_seqscan = off`);
    const plan = await ctx.services.database.rows<{ "QUERY PLAN": string }>(
      sql`explain select id from contacts where ${contactMatches("silva joão 98765-4321")}`,
    );
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    assert.match(text, /contacts_search_idx/, text);
    // Every word is a condition the index answers, not a filter applied to the rows after it.
    const indexCond = text.split("\n").find((l) => l.includes("Index Cond:")) ?? "";
    assert.equal(indexCond.match(/~~/g)?.length, 3, text);
    assert.doesNotMatch(text, /^\s*Filter:/m, text);
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts: add and remove tags", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const c = await createContact(ctx, owner.token, { phone: "+5511912340001", tags: ["cliente"] });
    const tagsPath = `/api/v1/contacts/${c.id}/tags`;
    const add = (json: unknown) =>
      call<Contact & Problem>(ctx, owner.token, tagsPath, { method: "POST", json });
    const remove = (init: { json?: unknown; query?: string }) =>
      call<Contact & Problem>(ctx, owner.token, `${tagsPath}${init.query ?? ""}`, {
        method: "DELETE",
        json: init.json,
      });
    const stored = async () => (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${c.id}`)).body.tags;

    await t.step("adding is idempotent: a tag already there is not repeated", async () => {
      const r = await add({ tags: ["vip", "novo", "vip"] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.tags, ["cliente", "vip", "novo"]);
      const again = await add({ tags: ["vip", "cliente"] });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body.tags, ["cliente", "vip", "novo"]);
      assert.deepEqual(await stored(), ["cliente", "vip", "novo"]);
    });

    await t.step("an audit row per effective change, none for a no-op", async () => {
      const rows = await ctx.services.database.rows<{ metadata: { tags: string[] } }>(
        sql`select metadata from audit_log where action = 'contact.tag' and target_id = ${c.id}`,
      );
      assert.deepEqual(rows.map((r) => r.metadata.tags), [["vip", "novo"]]);
    });

    await t.step("remove through the JSON body", async () => {
      const r = await remove({ json: { tags: ["vip"] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.tags, ["cliente", "novo"]);
      assert.deepEqual(await stored(), ["cliente", "novo"]);
    });

    await t.step("remove through ?tags=a,b", async () => {
      await add({ tags: ["a", "b", "c"] });
      const r = await remove({ query: "?tags=a,%20b" });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.tags, ["cliente", "novo", "c"]);
      assert.deepEqual(await stored(), ["cliente", "novo", "c"]);
    });

    await t.step("removing a tag the contact does not have changes nothing", async () => {
      const before = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${c.id}`)).body;
      ctx.clock.advance(1000);
      const r = await remove({ json: { tags: ["nunca-teve"] } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.tags, before.tags);
      assert.equal(r.body.updated_at, before.updated_at, "no write happened");
      const q = await remove({ query: "?tags=tambem-nao" });
      assert.equal(q.status, 200);
      assert.deepEqual(q.body.tags, before.tags);
    });

    await t.step("no tags at all is 422", async () => {
      assertProblem(await add({ tags: [] }), 422, "validation_failed");
      assertProblem(await add({}), 422, "validation_failed");
      assertProblem(await add({ tags: ["x,y"] }), 422, "validation_failed");
      assertProblem(await remove({}), 422, "validation_failed");
      assertProblem(await remove({ json: { tags: [] } }), 422, "validation_failed");
      assertProblem(await remove({ query: "?tags=" }), 422, "validation_failed");
      assertProblem(await remove({ query: "?tags=,%20," }), 422, "validation_failed");
      assert.deepEqual(await stored(), ["cliente", "novo", "c"]);
    });

    await t.step("an unknown contact is 404", async () => {
      const path = `/api/v1/contacts/${randomId()}/tags`;
      assertProblem(
        await call(ctx, owner.token, path, { method: "POST", json: { tags: ["x"] } }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, owner.token, `${path}?tags=x`, { method: "DELETE" }),
        404,
        "not_found",
      );
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Delete

Deno.test("contacts: delete is soft, archives the conversations and is audited", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const number = await addSandboxNumber(ctx, owner.token);
    const phone = "+5511912340001";
    const c = await createContact(ctx, owner.token, { phone, name: "Cliente Antigo", tags: ["x"] });
    const keep = await createContact(ctx, owner.token, { phone: "+5511912340002", name: "Fica" });
    await customerWrites(ctx, owner.token, number.id, phone, "Oi");
    await customerWrites(ctx, owner.token, number.id, keep.phone, "Olá");
    type Conversation = { id: string; status: string; contact: { id: string } };
    const conversations = (await call<Page<Conversation>>(ctx, owner.token, "/api/v1/conversations"))
      .body.data;
    const theirs = conversations.find((v) => v.contact.id === c.id);
    const others = conversations.find((v) => v.contact.id === keep.id);
    assert.ok(theirs && others, JSON.stringify(conversations));
    assert.notEqual(theirs.status, "archived");

    await t.step("the answer says how many conversations were archived", async () => {
      const r = await call<{ id: string; deleted_at: string; conversations_archived: number }>(
        ctx,
        owner.token,
        `/api/v1/contacts/${c.id}`,
        { method: "DELETE" },
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.id, c.id);
      assert.equal(r.body.conversations_archived, 1);
      assert.ok(!Number.isNaN(Date.parse(r.body.deleted_at)));
    });

    await t.step("the contact is gone from get, list, search and a second delete", async () => {
      assertProblem(await call(ctx, owner.token, `/api/v1/contacts/${c.id}`), 404, "not_found");
      const all = await list(ctx, owner.token);
      assert.deepEqual(all.data.map((x) => x.id), [keep.id]);
      assert.equal(all.meta.total, 1);
      assert.equal(
        (await call<Page<Contact>>(ctx, owner.token, "/api/v1/contacts/search?q=antigo")).body.meta.total,
        0,
      );
      assertProblem(
        await call(ctx, owner.token, `/api/v1/contacts/${c.id}`, { method: "DELETE" }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, owner.token, `/api/v1/contacts/${c.id}`, { method: "PUT", json: { name: "Z" } }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, owner.token, `/api/v1/contacts/${c.id}/tags`, {
          method: "POST",
          json: { tags: ["y"] },
        }),
        404,
        "not_found",
      );
    });

    await t.step("its conversation is archived, the other contact's is not", async () => {
      const archived = await call<Conversation>(ctx, owner.token, `/api/v1/conversations/${theirs.id}`);
      assert.equal(archived.status, 200, JSON.stringify(archived.body));
      assert.equal(archived.body.status, "archived");
      const untouched = await call<Conversation>(ctx, owner.token, `/api/v1/conversations/${others.id}`);
      assert.notEqual(untouched.body.status, "archived");
    });

    await t.step("the audit log names the contact and the archived conversations", async () => {
      const rows = await ctx.services.database.rows<
        { tenant_id: string; actor_id: string; metadata: Record<string, unknown> }
      >(
        sql`select tenant_id, actor_id, metadata from audit_log
            where action = 'contact.delete' and target_id = ${c.id}`,
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0].tenant_id, owner.tenantId);
      assert.equal(rows[0].actor_id, owner.userId);
      assert.equal(rows[0].metadata.conversations_archived, 1);
      assert.deepEqual(rows[0].metadata.conversation_ids, [theirs.id]);
      assert.equal(rows[0].metadata.phone, phone);
    });

    await t.step("the phone is free again: a new contact with it can be created", async () => {
      const again = await call<Contact>(ctx, owner.token, "/api/v1/contacts", {
        method: "POST",
        json: { phone: "(11) 91234-0001", name: "Cliente Novo" },
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.notEqual(again.body.id, c.id);
      assert.deepEqual(again.body.tags, [], "nothing carried over from the deleted contact");
      assert.equal(again.body.name, "Cliente Novo");
    });

    await t.step("a contact without conversations: conversations_archived 0", async () => {
      const lone = await createContact(ctx, owner.token, { phone: "+5511912340003" });
      const r = await call<{ conversations_archived: number }>(
        ctx,
        owner.token,
        `/api/v1/contacts/${lone.id}`,
        {
          method: "DELETE",
        },
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.conversations_archived, 0);
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Import

/** Windows-1252 bytes of a string (only Latin-1 characters here, which map to themselves). */
function latin1(s: string): Uint8Array {
  return Uint8Array.from([...s], (ch) => {
    const code = ch.charCodeAt(0);
    assert.ok(code < 256, `not Latin-1: ${ch}`);
    return code;
  });
}

const escapeXml = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** A minimal workbook: one sheet, inline strings, and numbers where a cell is a number. */
function xlsx(rows: (string | number)[][]): Uint8Array {
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const col = (i: number) => String.fromCharCode(65 + i);
  // An empty row is left out of the sheet, as Excel does; the numbering goes on.
  const sheetRows = rows.map((cells, r) =>
    cells.length === 0
      ? ""
      : `<row r="${r + 1}">${
        cells.map((v, i) =>
          typeof v === "number"
            ? `<c r="${col(i)}${r + 1}"><v>${v}</v></c>`
            : `<c r="${col(i)}${r + 1}" t="inlineStr"><is><t>${escapeXml(v)}</t></is></c>`
        ).join("")
      }</row>`
  ).join("");
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        `<Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    "xl/workbook.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><workbook ${ns}><sheets>` +
        '<sheet name="Contatos" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        `<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ),
    "xl/worksheets/sheet1.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><worksheet ${ns}><sheetData>${sheetRows}</sheetData></worksheet>`,
    ),
  });
}

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async function errorsOf(ctx: TestContext, token: string, importId: string, query = "?limit=100") {
  const r = await call<Page<RowError>>(ctx, token, `/api/v1/contacts/imports/${importId}/errors${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function contactByPhone(ctx: TestContext, token: string, phone: string): Promise<Contact | undefined> {
  const found = (await call<Page<Contact>>(
    ctx,
    token,
    `/api/v1/contacts/search?q=${encodeURIComponent(phone)}`,
  )).body.data;
  return found.find((c) => c.phone === phone);
}

Deno.test("contacts import: good and bad rows, with a per-row report in file order", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const csv = [
      "nome,telefone,email,tags,opt_in,plano",
      "Ana,(11) 91234-0001,ana@example.com,cliente;vip,sim,100 Mega",
      "Bruno,12345,bruno@example.com,,,",
      "Carla,+55 11 91234-0003,carla@,,,",
      "Ana de novo,11912340001,,,,",
      "Davi,+5511912340005,,,talvez,",
      "Eva,+55 11 91234-0006,EVA@Example.com,lead,não,200 Mega",
      "Fábio,,fabio@example.com,,,",
      "Gil,999,gil@,,2,",
      "",
    ].join("\n");
    let imp: Import;

    await t.step("the upload is accepted and the job completes it", async () => {
      const res = await uploadContacts(ctx, owner.token, csv, { name: "clientes.csv" });
      const accepted = await body<Import & { reused: boolean }>(res);
      assert.equal(res.status, 202, JSON.stringify(accepted));
      assert.equal(accepted.reused, false);
      assert.equal(accepted.status, "queued");
      assert.equal(accepted.total_rows, 8);
      assert.equal(res.headers.get("location"), `/api/v1/contacts/imports/${accepted.id}`);
      assert.deepEqual(accepted.columns, {
        nome: "name",
        telefone: "phone",
        email: "email",
        tags: "tags",
        opt_in: "opt_in",
        plano: "attributes.plano",
      });
      await ctx.services.runner!.drain();
      imp = (await call<Import>(ctx, owner.token, `/api/v1/contacts/imports/${accepted.id}`)).body;
      assert.equal(imp.status, "completed");
      assert.equal(imp.format, "csv");
      assert.equal(imp.total_rows, 8);
      assert.equal(imp.processed, 8);
      assert.equal(imp.created, 2);
      assert.equal(imp.updated, 0);
      assert.equal(imp.unchanged, 0);
      assert.equal(imp.failed, 6);
      assert.equal(imp.progress, 1);
      assert.equal(imp.error, null);
    });

    await t.step("the errors name the line (header is line 1), field and reason, in file order", async () => {
      const errors = await errorsOf(ctx, owner.token, imp.id);
      assert.deepEqual(errors.data.map((e) => [e.row, e.field, e.value]), [
        [3, "phone", "12345"],
        [4, "email", "carla@"],
        [5, "phone", "11912340001"],
        [6, "opt_in", "talvez"],
        [8, "phone", null],
        [9, "phone", "999"],
        [9, "email", "gil@"],
        [9, "opt_in", "2"],
      ]);
      assert.match(errors.data[0].reason, /phone/);
      assert.match(errors.data[1].reason, /email/);
      assert.match(errors.data[2].reason, /row 2/, "the duplicate names the row it repeats");
      assert.match(errors.data[4].reason, /missing/);
      assert.equal(errors.meta.total, 8);
      const page2 = await errorsOf(ctx, owner.token, imp.id, "?limit=3&page=2");
      assert.deepEqual(page2.meta, { page: 2, limit: 3, total: 8 });
      assert.deepEqual(page2.data.map((e) => e.row), [6, 8, 9]);
    });

    await t.step("the good rows are contacts, as the file says", async () => {
      const all = await list(ctx, owner.token);
      assert.deepEqual(phonesOf(all), ["+5511912340001", "+5511912340006"]);
      const ana = all.data.find((c) => c.phone === "+5511912340001")!;
      assert.equal(ana.name, "Ana", "the first row of a repeated phone wins");
      assert.equal(ana.email, "ana@example.com");
      assert.deepEqual(ana.tags, ["cliente", "vip"]);
      assert.deepEqual(ana.attributes, { plano: "100 Mega" });
      assert.equal(ana.opt_in, true);
      assert.ok(ana.opt_in_at);
      const eva = all.data.find((c) => c.phone === "+5511912340006")!;
      assert.equal(eva.email, "eva@example.com");
      assert.equal(eva.opt_in, false);
      assert.ok(eva.opt_out_at);
      assert.deepEqual(eva.tags, ["lead"]);
      assert.deepEqual(eva.attributes, { plano: "200 Mega" });
    });

    await t.step("the import is listed, and audited", async () => {
      const imports = (await call<Page<Import>>(ctx, owner.token, "/api/v1/contacts/imports")).body;
      assert.deepEqual(imports.data.map((i) => i.id), [imp.id]);
      assert.equal(imports.meta.total, 1);
      const rows = await ctx.services.database.rows<{ metadata: { rows: number; file_name: string } }>(
        sql`select metadata from audit_log where action = 'contact.import' and target_id = ${imp.id}`,
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0].metadata.rows, 8);
      assert.equal(rows[0].metadata.file_name, "clientes.csv");
    });

    await t.step("a random import id is 404", async () => {
      assertProblem(await call(ctx, owner.token, `/api/v1/contacts/imports/${randomId()}`), 404, "not_found");
      assertProblem(
        await call(ctx, owner.token, `/api/v1/contacts/imports/${randomId()}/errors`),
        404,
        "not_found",
      );
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts import: blank lines, a sep= line and multi-line cells do not shift row numbers", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);

    await t.step("CSV: the reported row is the line a text editor shows", async () => {
      const csv = [
        "sep=;", // line 1
        "name;phone;notes", // 2
        "", // 3
        'Ana;+5511912340001;"linha um', // 4
        'linha dois"', // 5
        ";;", // 6
        "Bia;123;", // 7
        "   ", // 8
        "Carla;456;ok", // 9
        "",
      ].join("\r\n");
      const imp = await importContacts(ctx, owner.token, csv);
      assert.equal(imp.created, 1);
      assert.equal(imp.failed, 2);
      const errors = await errorsOf(ctx, owner.token, imp.id);
      assert.deepEqual(errors.data.map((e) => [e.row, e.value]), [[7, "123"], [9, "456"]]);
      const ana = await contactByPhone(ctx, owner.token, "+5511912340001");
      assert.deepEqual(ana?.attributes, { notes: "linha um\r\nlinha dois" });
    });

    await t.step("XLSX: the reported row is the sheet's row number", async () => {
      const file = xlsx([
        ["telefone", "nome"],
        [5511912340011, "Dani"],
        [],
        ["123", "Edu"],
        [],
        ["+55 11 1234", "Fê"],
      ]);
      const imp = await importContacts(ctx, owner.token, file, { name: "planilha.xlsx", type: XLSX_TYPE });
      assert.equal(imp.created, 1);
      assert.equal(imp.failed, 2);
      const errors = await errorsOf(ctx, owner.token, imp.id);
      assert.deepEqual(errors.data.map((e) => [e.row, e.value]), [[4, "123"], [6, "+55 11 1234"]]);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts import: Windows-1252 with semicolons, and an XLSX workbook", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);

    await t.step("a semicolon-separated Windows-1252 CSV keeps its accents", async () => {
      const text = "Nome;Celular;E-mail;Cidade;Etiquetas\r\n" +
        "Maria da Conceição;(11) 91234-0101;MARIA@EXEMPLO.COM.BR;São Paulo;fibra|inadimplência\r\n" +
        "João Araújo;(21) 91234-0102;;Niterói;\r\n";
      const bytes = latin1(text);
      assert.ok(bytes.includes(0xe7) && !bytes.includes(0xc3), "Latin-1 bytes, not UTF-8");
      const imp = await importContacts(ctx, owner.token, bytes, { name: "contatos.csv" });
      assert.equal(imp.status, "completed");
      assert.equal(imp.created, 2, JSON.stringify(imp));
      assert.equal(imp.failed, 0);
      assert.deepEqual(imp.columns, {
        Nome: "name",
        Celular: "phone",
        "E-mail": "email",
        Cidade: "attributes.cidade",
        Etiquetas: "tags",
      });
      const maria = await contactByPhone(ctx, owner.token, "+5511912340101");
      assert.equal(maria?.name, "Maria da Conceição");
      assert.equal(maria?.email, "maria@exemplo.com.br");
      assert.deepEqual(maria?.attributes, { cidade: "São Paulo" });
      assert.deepEqual(maria?.tags, ["fibra", "inadimplência"]);
      const joao = await contactByPhone(ctx, owner.token, "+5521912340102");
      assert.equal(joao?.name, "João Araújo");
      assert.deepEqual(joao?.attributes, { cidade: "Niterói" });
      assert.deepEqual(joao?.tags, []);
      const found = (await call<Page<Contact>>(ctx, owner.token, "/api/v1/contacts/search?q=CONCEICAO")).body;
      assert.deepEqual(found.data.map((c) => c.phone), ["+5511912340101"]);
    });

    await t.step("an XLSX workbook, phones stored as numbers", async () => {
      const file = xlsx([
        ["Telefone", "Nome", "Email", "Tags", "Opt-in", "Bloqueado", "Plano"],
        [5511912340201, "Zé Ninguém", "ze@example.com", "xlsx, teste", "sim", "não", "1 Giga"],
        ["(11) 91234-0202", "Ana <Excel> & Cia", "", "", "", "sim", ""],
        [123, "Sem Número", "", "", "", "", ""],
      ]);
      const imp = await importContacts(ctx, owner.token, file, { name: "contatos.xlsx", type: XLSX_TYPE });
      assert.equal(imp.status, "completed");
      assert.equal((imp as Import).format, "xlsx");
      assert.equal(imp.total_rows, 3);
      assert.equal(imp.created, 2, JSON.stringify(imp));
      assert.equal(imp.failed, 1);
      const errors = await errorsOf(ctx, owner.token, imp.id);
      assert.deepEqual(errors.data.map((e) => [e.row, e.field, e.value]), [[4, "phone", "123"]]);
      const ze = await contactByPhone(ctx, owner.token, "+5511912340201");
      assert.equal(ze?.name, "Zé Ninguém");
      assert.equal(ze?.email, "ze@example.com");
      assert.deepEqual(ze?.tags, ["xlsx", "teste"]);
      assert.equal(ze?.opt_in, true);
      assert.equal(ze?.blocked, false);
      assert.deepEqual(ze?.attributes, { plano: "1 Giga" });
      const ana = await contactByPhone(ctx, owner.token, "+5511912340202");
      assert.equal(ana?.name, "Ana <Excel> & Cia");
      assert.equal(ana?.blocked, true);
      assert.equal(ana?.opt_in, null);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts import: upsert by phone, the same file again, and force", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const kept = await createContact(ctx, owner.token, {
      phone: "+5511912340301",
      name: "Nome Original",
      email: "original@example.com",
      tags: ["antiga"],
      attributes: { plano: "100 Mega", cidade: "Campinas" },
      opt_in: true,
    });
    const same = await createContact(ctx, owner.token, {
      phone: "+5511912340303",
      name: "Igual",
      tags: ["a"],
      attributes: { plano: "200 Mega" },
    });
    const optOut = await createContact(ctx, owner.token, { phone: "+5511912340304", opt_in: true });
    const sameBefore = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${same.id}`)).body;
    ctx.clock.advance(60_000);
    const csv = "phone,name,email,tags,opt_in,plano,vencimento\n" +
      "(11) 91234-0301,,,nova;antiga,,500 Mega,10\n" + // name, email, consent kept; tags added; attrs merged
      "+5511912340302,Novo Contato,novo@example.com,,,,\n" + // created
      "11912340303,Igual,,a,,200 Mega,\n" + // nothing new: unchanged
      "+5511912340304,,,,não,,\n"; // consent withdrawn
    let first: Import;

    await t.step("existing contacts are updated, empty cells keep what is there", async () => {
      first = await importContacts(ctx, owner.token, csv) as Import;
      assert.equal(first.status, "completed");
      assert.deepEqual(
        [first.created, first.updated, first.unchanged, first.failed],
        [1, 2, 1, 0],
        JSON.stringify(first),
      );
      const k = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${kept.id}`)).body;
      assert.equal(k.name, "Nome Original");
      assert.equal(k.email, "original@example.com");
      assert.deepEqual(k.tags, ["antiga", "nova"]);
      assert.deepEqual(k.attributes, { plano: "500 Mega", cidade: "Campinas", vencimento: "10" });
      assert.equal(k.opt_in, true);
      const s = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${same.id}`)).body;
      assert.deepEqual(s, sameBefore, "an unchanged row is not written");
      const o = (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${optOut.id}`)).body;
      assert.equal(o.opt_in, false);
      assert.ok(o.opt_out_at);
      const created = await contactByPhone(ctx, owner.token, "+5511912340302");
      assert.equal(created?.name, "Novo Contato");
      assert.equal((await list(ctx, owner.token)).meta.total, 4);
    });

    await t.step("the same file again answers the first import (200, reused)", async () => {
      const res = await uploadContacts(ctx, owner.token, csv, { name: "outro-nome.csv" });
      const again = await body<Import & { reused: boolean }>(res);
      assert.equal(res.status, 200, JSON.stringify(again));
      assert.equal(again.reused, true);
      assert.equal(again.id, first.id);
      assert.equal(again.status, "completed");
      await ctx.services.runner!.drain();
      const imports = (await call<Page<Import>>(ctx, owner.token, "/api/v1/contacts/imports")).body;
      assert.equal(imports.meta.total, 1, "no second import was made");
    });

    await t.step("force=true makes a new import, whose rows are all unchanged", async () => {
      ctx.clock.advance(1000);
      const res = await uploadContacts(ctx, owner.token, csv, { force: true });
      const forced = await body<Import & { reused: boolean }>(res);
      assert.equal(res.status, 202, JSON.stringify(forced));
      assert.equal(forced.reused, false);
      assert.notEqual(forced.id, first.id);
      await ctx.services.runner!.drain();
      const done = (await call<Import>(ctx, owner.token, `/api/v1/contacts/imports/${forced.id}`)).body;
      assert.equal(done.status, "completed");
      assert.deepEqual([done.created, done.updated, done.unchanged, done.failed], [0, 0, 4, 0]);
      assert.equal(done.file_sha256, first.file_sha256);
      const imports = (await call<Page<Import>>(ctx, owner.token, "/api/v1/contacts/imports")).body;
      assert.deepEqual(imports.data.map((i) => i.id), [forced.id, first.id], "newest first");
      assert.equal((await list(ctx, owner.token)).meta.total, 4);
    });

    await t.step("an empty blocked cell keeps the flag; a value sets it", async () => {
      const stays = await createContact(ctx, owner.token, { phone: "+5511912340305", blocked: true });
      const unblocked = await createContact(ctx, owner.token, { phone: "+5511912340306", blocked: true });
      const blocked = await createContact(ctx, owner.token, { phone: "+5511912340307" });
      const imp = await importContacts(
        ctx,
        owner.token,
        "telefone,bloqueado\n+5511912340305,\n+5511912340306,não\n+5511912340307,sim\n+5511912340308,\n",
      );
      assert.deepEqual(
        [imp.created, imp.updated, imp.unchanged, imp.failed],
        [1, 2, 1, 0],
        JSON.stringify(imp),
      );
      const flag = async (id: string) =>
        (await call<Contact>(ctx, owner.token, `/api/v1/contacts/${id}`)).body.blocked;
      assert.equal(await flag(stays.id), true, "an empty cell does not unblock");
      assert.equal(await flag(unblocked.id), false);
      assert.equal(await flag(blocked.id), true);
      assert.equal((await contactByPhone(ctx, owner.token, "+5511912340308"))?.blocked, false);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts import: files that cannot be imported", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const imports = async () =>
      (await call<Page<Import>>(ctx, owner.token, "/api/v1/contacts/imports")).body.meta.total;

    await t.step("PNG bytes are 415 unsupported_media_type, whatever the name says", async () => {
      const png = new Uint8Array([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        0,
        0,
        0,
        13,
        73,
        72,
        68,
        82,
      ]);
      const res = await uploadContacts(ctx, owner.token, png, { name: "contatos.csv", type: "text/csv" });
      assertProblem({ status: res.status, body: await body(res), res }, 415, "unsupported_media_type");
    });

    await t.step("a CSV without a phone column is 422 naming the columns found", async () => {
      const res = await uploadContacts(ctx, owner.token, "nome,email,cidade\nAna,ana@example.com,Campinas\n");
      const b = await body<Problem>(res);
      assertProblem({ status: res.status, body: b, res }, 422, "validation_failed");
      for (const column of ["nome", "email", "cidade"]) assert.match(b.detail, new RegExp(`"${column}"`));
    });

    await t.step("no `file` field is 422", async () => {
      const form = new FormData();
      form.set("arquivo", new File(["phone\n+5511912340001\n"], "contatos.csv", { type: "text/csv" }));
      const res = await ctx.request("/api/v1/contacts/import", {
        method: "POST",
        token: owner.token,
        body: form,
      });
      const b = await body<Problem>(res);
      assertProblem({ status: res.status, body: b, res }, 422, "validation_failed");
      const text = new FormData();
      text.set("file", "phone\n+5511912340001\n");
      const asText = await ctx.request("/api/v1/contacts/import", {
        method: "POST",
        token: owner.token,
        body: text,
      });
      assertProblem(
        { status: asText.status, body: await body(asText), res: asText },
        422,
        "validation_failed",
      );
    });

    await t.step("a JSON body is 415 naming multipart/form-data", async () => {
      const res = await ctx.request("/api/v1/contacts/import", {
        method: "POST",
        token: owner.token,
        json: { file: "phone\n+5511912340001\n" },
      });
      const b = await body<Problem>(res);
      assertProblem({ status: res.status, body: b, res }, 415, "unsupported_media_type");
      assert.match(b.detail, /multipart\/form-data/);
    });

    await t.step("an empty file is 422", async () => {
      const res = await uploadContacts(ctx, owner.token, new Uint8Array());
      assertProblem({ status: res.status, body: await body(res), res }, 422, "validation_failed");
    });

    await t.step("a file of only a header completes with nothing to do", async () => {
      const imp = await importContacts(ctx, owner.token, "nome;telefone\r\n");
      assert.equal(imp.status, "completed");
      assert.deepEqual([imp.total_rows, imp.processed, imp.created, imp.failed], [0, 0, 0, 0]);
      assert.equal((imp as Import).progress, 1);
      assert.equal((await list(ctx, owner.token)).meta.total, 0);
    });

    await t.step("nothing was stored by the refused uploads", async () => {
      assert.equal(await imports(), 1, "only the header-only file");
      assert.equal((await list(ctx, owner.token)).meta.total, 0);
    });
  } finally {
    await ctx.close();
  }
});

/** Excel's "Unicode Text": UTF-16LE with a BOM, the one text format whose bytes may hold U+0000. */
function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    out[2 + i * 2] = text.charCodeAt(i) & 0xff;
    out[3 + i * 2] = text.charCodeAt(i) >> 8;
  }
  return out;
}

Deno.test("contacts import: NUL characters in cells and headers are row errors, never a 500", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const rows = [
      "nome\ttelefone\temail\tpla\u0000no",
      "Ana\u0000Maria\t+5511912349001\t\t",
      "Bruno\t+5511912349002\tbru\u0000no@example.com\t",
      "Carla\t+5511912349003\t\tfibra\u0000500",
      "Davi\t+5511912349004\t\t",
      "Eva\t+55119123\u000049005\t\t",
    ];
    let imp: Import;

    await t.step("a UTF-16 file with NULs is accepted and the job completes it", async () => {
      const res = await uploadContacts(ctx, owner.token, utf16le(rows.join("\r\n")), {
        name: "clientes.txt",
        type: "text/plain",
      });
      const accepted = await body<Import>(res);
      assert.equal(res.status, 202, JSON.stringify(accepted));
      assert.deepEqual(accepted.columns, {
        nome: "name",
        telefone: "phone",
        email: "email",
        "pla\uFFFDno": "attributes.plano",
      });
      await ctx.services.runner!.drain();
      imp = (await call<Import>(ctx, owner.token, `/api/v1/contacts/imports/${accepted.id}`)).body;
      assert.equal(imp.status, "completed");
      assert.equal(imp.created, 1);
      assert.equal(imp.failed, 4);
    });

    await t.step("each bad cell is a row error naming its field, its value shown with U+FFFD", async () => {
      const errors = await errorsOf(ctx, owner.token, imp.id);
      assert.deepEqual(errors.data.map((e) => [e.row, e.field, e.value]), [
        [2, "name", "Ana\uFFFDMaria"],
        [3, "email", "bru\uFFFDno@example.com"],
        [4, "attributes.plano", "fibra\uFFFD500"],
        [6, "phone", "+55119123\uFFFD49005"],
      ]);
      for (const e of errors.data) assert.match(e.reason, /NUL/);
      const all = await list(ctx, owner.token);
      assert.deepEqual(phonesOf(all), ["+5511912349004"]);
    });

    await t.step(
      "a UTF-8 file with a NUL past its first 64 KB: that row fails, the others import",
      async () => {
        const good = Array.from({ length: 2500 }, (_, i) => `Cliente ${i},+55119${String(50000000 + i)}`);
        const csv = ["nome,telefone", ...good, "Fim\u0000,+5511960000000"].join("\n");
        assert.ok(csv.indexOf("\u0000") > 64 * 1024);
        const done = await importContacts(ctx, owner.token, csv, { name: "grande.csv" });
        assert.equal(done.status, "completed");
        assert.equal(done.created, 2500);
        assert.equal(done.failed, 1);
      },
    );

    await t.step("a NUL in the file name is refused by the form parser, not a 500", async () => {
      const res = await uploadContacts(ctx, owner.token, "nome,telefone\nZé,+5511960000001\n", {
        name: "clien\u0000tes.csv",
      });
      const p = await body(res);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(p)}`);
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("contacts import: a file of several chunks completes with every row", async () => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const n = 2500;
    const lines = ["telefone,nome,plano"];
    for (let i = 0; i < n; i++) {
      lines.push(`+5511${String(950000000 + i)},Cliente ${i},Plano ${i % 3}`);
    }
    const res = await uploadContacts(ctx, owner.token, lines.join("\n"));
    const accepted = await body<Import>(res);
    assert.equal(res.status, 202, JSON.stringify(accepted));
    assert.equal(accepted.total_rows, n);
    assert.equal(accepted.progress, 0);
    await ctx.services.runner!.drain();
    const done = (await call<Import>(ctx, owner.token, `/api/v1/contacts/imports/${accepted.id}`)).body;
    assert.equal(done.status, "completed", JSON.stringify(done));
    assert.equal(done.total_rows, n);
    assert.equal(done.processed, n);
    assert.equal(done.created, n);
    assert.equal(done.failed, 0);
    assert.equal(done.progress, 1);
    assert.ok(done.completed_at);
    assert.equal((await list(ctx, owner.token, "?limit=1")).meta.total, n);
    const last = await contactByPhone(ctx, owner.token, `+5511${950000000 + n - 1}`);
    assert.equal(last?.name, `Cliente ${n - 1}`);
    assert.deepEqual(last?.attributes, { plano: `Plano ${(n - 1) % 3}` });
    const first = await contactByPhone(ctx, owner.token, "+5511950000000");
    assert.equal(first?.name, "Cliente 0");

    // The export reads the contacts in pages of a thousand: every one comes out, once.
    const exported = await (await ctx.request("/api/v1/contacts/export", { token: owner.token })).text();
    const phones = exported.trimEnd().split("\r\n").slice(1).map((l) => l.split(",")[0]);
    assert.equal(phones.length, n);
    assert.equal(new Set(phones).size, n);
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Export

/** What a person compares between two copies of a contact list. */
async function comparable(ctx: TestContext, token: string) {
  const all = await call<Page<Contact>>(ctx, token, "/api/v1/contacts?limit=100");
  return all.body.data.map((c) => ({
    phone: c.phone,
    name: c.name,
    email: c.email,
    tags: [...c.tags].sort(),
    attributes: c.attributes,
    opt_in: c.opt_in,
    blocked: c.blocked,
  })).sort((a, b) => a.phone.localeCompare(b.phone));
}

Deno.test("contacts export: CSV that imports back into another tenant as the same contacts", async (t) => {
  const ctx = await createTestContext();
  try {
    const owner = await roomyTenant(ctx);
    const other = await roomyTenant(ctx);
    await createContact(ctx, owner.token, {
      phone: "(11) 91234-0401",
      name: "José da Conceição",
      email: "jose@example.com",
      tags: ["vip", "cliente", "inadimplência"],
      attributes: { plano: "500 Mega", cidade: "São Paulo" },
      opt_in: true,
    });
    await createContact(ctx, owner.token, {
      phone: "+55 21 91234-0402",
      name: '=HYPERLINK("http://evil.example","clique")',
      tags: ["risco"],
      attributes: { obs: "=1+1", nota: "@sum" },
      opt_in: false,
      blocked: true,
    });
    await createContact(ctx, owner.token, {
      phone: "+55 31 91234-0403",
      name: 'Ana "Rápida", Filial 2',
      attributes: { obs: "linha 1\nlinha 2" },
    });
    await createContact(ctx, owner.token, { phone: "+55 41 91234-0404" });
    await createContact(ctx, owner.token, {
      phone: "+1 202 555 0143",
      name: "-Zoë Ø",
      email: "zoe@example.org",
      tags: ["vip"],
      opt_in: true,
    });
    let csvBytes: Uint8Array;

    await t.step("the export is a CSV attachment with a BOM", async () => {
      const res = await ctx.request("/api/v1/contacts/export", { token: owner.token });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
      assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="[^"]+\.csv"$/);
      csvBytes = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual([...csvBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM for Excel");
      const text = new TextDecoder().decode(csvBytes);
      const [header, ...rows] = text.replace(/^\uFEFF/, "").trimEnd().split("\r\n");
      assert.ok(header.startsWith("phone,name,email,tags,opt_in,blocked"), header);
      assert.match(header, /attributes\.cidade/);
      assert.match(header, /attributes\.plano/);
      assert.ok(rows.length >= 5, text);
      assert.ok(text.includes(`"'=HYPERLINK(""http://evil.example"",""clique"")"`), "formula guarded");
      assert.ok(text.includes("'=1+1"), "formula guarded in an attribute too");
      assert.ok(!/(^|,)=/m.test(text), "no cell starts with =");
      const audited = await ctx.services.database.rows(
        sql`select 1 from audit_log where action = 'contact.export' and tenant_id = ${owner.tenantId}`,
      );
      assert.equal(audited.length, 1);
    });

    await t.step("imported into another tenant, it gives the same contacts", async () => {
      const imp = await importContacts(ctx, other.token, csvBytes, { name: "export.csv" });
      assert.equal(imp.status, "completed");
      assert.equal(imp.failed, 0, JSON.stringify(await errorsOf(ctx, other.token, imp.id)));
      assert.equal(imp.created, 5);
      const mine = await comparable(ctx, owner.token);
      const theirs = await comparable(ctx, other.token);
      assert.equal(mine.length, 5);
      assert.deepEqual(theirs, mine);
      assert.equal(
        theirs.find((c) => c.phone === "+5521912340402")?.name,
        '=HYPERLINK("http://evil.example","clique")',
        "the guard apostrophe is dropped on the way back",
      );
    });

    await t.step("exporting the copy gives the same rows again (ids and times aside)", async () => {
      const again = await ctx.request("/api/v1/contacts/export", { token: other.token });
      const customerColumns = (text: string) =>
        text.trimEnd().split("\r\n").map((l) => l.split(",").slice(0, 6).join(",")).sort();
      const firstText = new TextDecoder().decode(csvBytes);
      const secondText = await again.text();
      assert.deepEqual(customerColumns(secondText), customerColumns(firstText));
    });

    await t.step("the list filters apply: tags=vip exports only the VIPs", async () => {
      const res = await ctx.request("/api/v1/contacts/export?tags=vip", { token: owner.token });
      assert.equal(res.status, 200);
      const text = (await res.text()).replace(/^\uFEFF/, "");
      const phones = text.trimEnd().split("\r\n").slice(1).map((l) => l.split(",")[0]).sort();
      assert.deepEqual(phones, ["+12025550143", "+5511912340401"]);
      const blocked =
        (await (await ctx.request("/api/v1/contacts/export?blocked=true", { token: owner.token }))
          .text()).trimEnd().split("\r\n").slice(1).map((l) => l.split(",")[0]);
      assert.deepEqual(blocked, ["+5521912340402"]);
      const none = (await (await ctx.request("/api/v1/contacts/export?tags=nenhuma", { token: owner.token }))
        .text()).replace(/^\uFEFF/, "").trimEnd().split("\r\n");
      assert.equal(none.length, 1, "only the header");
      assert.ok(none[0].startsWith("phone,name"));
    });
  } finally {
    await ctx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Security

Deno.test("contacts: tenants, roles and API keys", async (t) => {
  const ctx = await createTestContext();
  try {
    const alice = await roomyTenant(ctx);
    const bob = await roomyTenant(ctx);
    const theirs = await createContact(ctx, bob.token, {
      phone: "+5511912340501",
      name: "Contato do Bob",
      tags: ["bob"],
      attributes: { plano: "bob" },
    });
    const before = (await call<Contact>(ctx, bob.token, `/api/v1/contacts/${theirs.id}`)).body;
    const mine = await createContact(ctx, alice.token, { phone: "+5511912340502", name: "Da Alice" });

    await t.step("another tenant's contact is 404 everywhere, and stays as it was", async () => {
      const path = `/api/v1/contacts/${theirs.id}`;
      assertProblem(await call(ctx, alice.token, path), 404, "not_found");
      assertProblem(
        await call(ctx, alice.token, path, { method: "PUT", json: { name: "Invadido", blocked: true } }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, alice.token, `${path}/tags`, { method: "POST", json: { tags: ["invadido"] } }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, alice.token, `${path}/tags`, { method: "DELETE", json: { tags: ["bob"] } }),
        404,
        "not_found",
      );
      assertProblem(
        await call(ctx, alice.token, `${path}/tags?tags=bob`, { method: "DELETE" }),
        404,
        "not_found",
      );
      assertProblem(await call(ctx, alice.token, path, { method: "DELETE" }), 404, "not_found");
      const after = await call<Contact>(ctx, bob.token, path);
      assert.equal(after.status, 200);
      assert.deepEqual(after.body, before);
    });

    await t.step("another tenant's contacts are not listed, searched or exported", async () => {
      assert.deepEqual((await list(ctx, alice.token)).data.map((c) => c.id), [mine.id]);
      const found = await call<Page<Contact>>(ctx, alice.token, "/api/v1/contacts/search?q=bob");
      assert.equal(found.body.meta.total, 0);
      const exported = await (await ctx.request("/api/v1/contacts/export", { token: alice.token })).text();
      assert.ok(!exported.includes("+5511912340501"));
      assert.ok(exported.includes("+5511912340502"));
    });

    await t.step("the same phone is a separate contact in each tenant", async () => {
      const same = await call<Contact>(ctx, alice.token, "/api/v1/contacts", {
        method: "POST",
        json: { phone: "+5511912340501" },
      });
      assert.equal(same.status, 201, JSON.stringify(same.body));
      assert.notEqual(same.body.id, theirs.id);
    });

    await t.step("another tenant's import is 404", async () => {
      const imp = await importContacts(ctx, bob.token, "phone,name\n+5511912340503,Bob 2\n+5511,Ruim\n");
      assert.equal(imp.status, "completed");
      assertProblem(await call(ctx, alice.token, `/api/v1/contacts/imports/${imp.id}`), 404, "not_found");
      assertProblem(
        await call(ctx, alice.token, `/api/v1/contacts/imports/${imp.id}/errors`),
        404,
        "not_found",
      );
      const listed = await call<Page<Import>>(ctx, alice.token, "/api/v1/contacts/imports");
      assert.ok(!listed.body.data.some((i) => i.id === imp.id));
      assert.equal((await errorsOf(ctx, bob.token, imp.id)).meta.total, 1, "Bob sees his own report");
    });

    await t.step("the same file in another tenant is a new import there, not a reuse", async () => {
      const file = "phone\n+5511912340504\n";
      const bobs = await importContacts(ctx, bob.token, file);
      const res = await uploadContacts(ctx, alice.token, file);
      const alices = await body<Import & { reused: boolean }>(res);
      assert.equal(res.status, 202, JSON.stringify(alices));
      assert.equal(alices.reused, false);
      assert.notEqual(alices.id, bobs.id);
      await ctx.services.runner!.drain();
    });

    await t.step("a viewer reads but cannot change anything", async () => {
      const viewer = await addUser(ctx, alice.token, "viewer");
      assert.ok((await list(ctx, viewer.token)).data.some((c) => c.id === mine.id));
      assert.equal((await call(ctx, viewer.token, `/api/v1/contacts/${mine.id}`)).status, 200);
      const create = await call<Problem>(ctx, viewer.token, "/api/v1/contacts", {
        method: "POST",
        json: { phone: "+5511912340509" },
      });
      assertProblem(create, 403, "forbidden");
      assertProblem(
        await call(ctx, viewer.token, `/api/v1/contacts/${mine.id}`, { method: "PUT", json: { name: "X" } }),
        403,
        "forbidden",
      );
      assertProblem(
        await call(ctx, viewer.token, `/api/v1/contacts/${mine.id}/tags`, {
          method: "POST",
          json: { tags: ["x"] },
        }),
        403,
        "forbidden",
      );
      assertProblem(
        await call(ctx, viewer.token, `/api/v1/contacts/${mine.id}`, { method: "DELETE" }),
        403,
        "forbidden",
      );
      const upload = await uploadContacts(ctx, viewer.token, "phone\n+5511912340510\n");
      assertProblem({ status: upload.status, body: await body(upload), res: upload }, 403, "forbidden");
      assert.equal(
        (await call<Contact>(ctx, alice.token, `/api/v1/contacts/${mine.id}`)).body.name,
        "Da Alice",
      );
    });

    await t.step("an agent may write contacts", async () => {
      const agent = await addUser(ctx, alice.token, "agent");
      const r = await call<Contact>(ctx, agent.token, "/api/v1/contacts", {
        method: "POST",
        json: { phone: "+5511912340511" },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });

    await t.step("an API key with read:contacts only lists but cannot create", async () => {
      const key = await createApiKey(ctx, alice.token, ["read:contacts"]);
      const listed = await list(ctx, key);
      assert.ok(listed.data.some((c) => c.id === mine.id));
      assert.ok(!listed.data.some((c) => c.id === theirs.id));
      assert.equal((await ctx.request("/api/v1/contacts/export", { token: key })).status, 200);
      assertProblem(
        await call(ctx, key, "/api/v1/contacts", { method: "POST", json: { phone: "+5511912340512" } }),
        403,
        "forbidden",
      );
      const upload = await uploadContacts(ctx, key, "phone\n+5511912340513\n");
      assertProblem({ status: upload.status, body: await body(upload), res: upload }, 403, "forbidden");
      const writer = await createApiKey(ctx, alice.token, ["read:contacts", "write:contacts"]);
      const created = await call<Contact>(ctx, writer, "/api/v1/contacts", {
        method: "POST",
        json: { phone: "+5511912340512" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    });

    await t.step("no token is 401", async () => {
      for (
        const [method, path] of [
          ["GET", "/api/v1/contacts"],
          ["POST", "/api/v1/contacts"],
          ["GET", `/api/v1/contacts/${mine.id}`],
          ["GET", "/api/v1/contacts/export"],
          ["POST", "/api/v1/contacts/import"],
          ["GET", "/api/v1/contacts/imports"],
        ]
      ) {
        const res = await ctx.request(path, { method });
        assertProblem({ status: res.status, body: await body(res), res }, 401, "unauthorized");
      }
    });
  } finally {
    await ctx.close();
  }
});
