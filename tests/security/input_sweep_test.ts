import { strict as assert } from "node:assert";
import { rolePermissions } from "../../src/auth/permissions.ts";
import { body, createTestContext, type TestContext } from "../support/harness.ts";
import { loginToken, registerTenant, ROOT, setPlan } from "../support/identity.ts";
import {
  fillPath,
  objectPaths,
  type OpenApiDoc,
  type Operation,
  operations,
  sample,
  stringPaths,
  withValueAt,
} from "../support/openapi-sample.ts";

/**
 * The hostile-input sweep, driven by the OpenAPI document like the security sweep, so routes
 * added later are covered without a line here: every text field of every body, every query and
 * path parameter, given a NUL or a lone surrogate, answers 422 naming that field (never a 500);
 * every JSON body refuses a field it does not declare, at the top and in every nested object.
 */

const HOSTILE = [
  { what: "a NUL", text: "antes\u0000depois", message: /NUL/ },
  { what: "a lone surrogate", text: "antes\ud800depois", message: /surrogate/ },
];

interface Caller {
  doc: OpenApiDoc;
  ctx: TestContext;
  owner: string;
  root: string;
}

let ipSeq = 0;
/** A new client address per call: the auth routes' per-IP limit must not answer for the body. */
const nextIp = () => `10.${(++ipSeq >> 16) & 255}.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;

function tokenFor(op: Operation, who: Caller): string | undefined {
  const access = op["x-pytake-access"];
  if (access?.public) return undefined;
  if (access?.user) return who.owner;
  const permission = access?.permission;
  return permission && (rolePermissions.owner as readonly string[]).includes(permission)
    ? who.owner
    : who.root;
}

async function send(
  who: Caller,
  method: string,
  path: string,
  op: Operation,
  json: unknown,
): Promise<{ status: number; problem: { code?: string; errors?: { path: string; message: string }[] } }> {
  const res = await who.ctx.request(path, {
    method: method.toUpperCase(),
    ...(json !== undefined ? { json } : {}),
    token: tokenFor(op, who),
    ip: nextIp(),
  });
  const text = await res.text();
  let problem = {};
  try {
    problem = JSON.parse(text);
  } catch { /* not JSON: the assertion below prints the status */ }
  return { status: res.status, problem };
}

const sampleJson = (doc: OpenApiDoc, op: Operation) => {
  const schema = op.requestBody?.content["application/json"]?.schema;
  return schema ? sample(doc, schema) : undefined;
};

/** Routes a signature guards answer 401 before reading anything; their own suites cover them. */
const bySignature = (op: Operation) => Boolean(op["x-pytake-access"]?.signature);

async function setUp(ctx: TestContext): Promise<Caller> {
  const a = await registerTenant(ctx, { tenantName: "Hostil" });
  await setPlan(ctx, a.tenantId, "enterprise");
  const root = await loginToken(ctx, ROOT.email, ROOT.password);
  const doc = await body<OpenApiDoc>(await ctx.request("/openapi.json"));
  return { doc, ctx, owner: a.token, root };
}

Deno.test("hostile text: NUL and lone surrogates are a 422 naming the field, on every documented route", async (t) => {
  const ctx = await createTestContext();
  try {
    const who = await setUp(ctx);
    const { doc } = who;
    const ops = operations(doc).filter(({ op }) => !bySignature(op));
    let tried = 0;

    await t.step("every text field of every JSON body", async () => {
      for (const { method, path, op } of ops) {
        const schema = op.requestBody?.content["application/json"]?.schema;
        if (!schema) continue;
        const base = sampleJson(doc, op);
        for (const field of stringPaths(doc, schema)) {
          for (const bad of HOSTILE) {
            const { status, problem } = await send(
              who,
              method,
              fillPath(doc, path, op),
              op,
              withValueAt(base, field, bad.text),
            );
            const where = `${method.toUpperCase()} ${path} with ${bad.what} in body.${field.join(".")}`;
            assert.equal(status, 422, `${where}: ${status} ${JSON.stringify(problem)}`);
            const named = problem.errors?.filter((e) => e.path === `body.${field.join(".")}`) ?? [];
            assert.ok(
              named.some((e) => bad.message.test(e.message)),
              `${where}: the field is not named in ${JSON.stringify(problem.errors)}`,
            );
            tried++;
          }
        }
      }
    });

    await t.step("a key of a free-form map (it becomes a jsonb key)", async () => {
      const { status, problem } = await send(
        who,
        "post",
        "/api/v1/contacts",
        { operationId: "createContact", "x-pytake-access": { permission: "write:contacts" } },
        { phone: "+5511987650001", attributes: { "pla\u0000no": "fibra" } },
      );
      assert.equal(status, 422, JSON.stringify(problem));
      assert.ok(problem.errors?.some((e) => e.path.startsWith("body.attributes.") && /NUL/.test(e.message)));
    });

    await t.step("every query and path parameter", async () => {
      // A URL carries UTF-8, so a lone surrogate cannot travel in one; a NUL (%00) can, and so can
      // bytes that are not UTF-8 at all (%ED%A0%80 is a surrogate's CESU-8 form, %FF no character).
      for (const { method, path, op } of ops) {
        for (const param of op.parameters ?? []) {
          if (param.in !== "query" && param.in !== "path") continue;
          for (
            const [raw, named] of [["antes%00depois", true], ["antes%ED%A0%80depois", false], [
              "%FF",
              false,
            ]] as const
          ) {
            let url = fillPath(doc, path, op, param.in === "path" ? { [param.name]: raw } : {});
            if (param.in === "query") url += `?${param.name}=${raw}`;
            const { status, problem } = await send(who, method, url, op, sampleJson(doc, op));
            const prefix: string = `${param.in === "path" ? "path" : "query"}.${param.name}`;
            const where: string = `${method.toUpperCase()} ${path} with ${raw} in ${prefix}`;
            assert.ok(status < 500, `${where}: ${status} ${JSON.stringify(problem)}`);
            if (!named) continue;
            assert.equal(status, 422, `${where}: ${status} ${JSON.stringify(problem)}`);
            assert.ok(
              problem.errors?.some((e) =>
                (e.path === prefix || e.path.startsWith(`${prefix}.`)) && /NUL/.test(e.message)
              ),
              `${where}: not named in ${JSON.stringify(problem.errors)}`,
            );
            tried++;
          }
        }
      }
    });

    assert.ok(tried > 200, `expected hundreds of fields and parameters, tried ${tried}`);
  } finally {
    await ctx.close();
  }
});

Deno.test("unknown body fields: a 422 naming each one, on every documented JSON body, at every depth", async (t) => {
  const ctx = await createTestContext();
  try {
    const who = await setUp(ctx);
    const { doc } = who;
    const ops = operations(doc).filter(({ op }) =>
      !bySignature(op) && op.requestBody?.content["application/json"]
    );
    assert.ok(ops.length >= 40, `expected the JSON-body routes, found ${ops.length}`);

    await t.step("the document marks every fixed-shape body object additionalProperties: false", () => {
      for (const { method, path, op } of ops) {
        for (const o of objectPaths(doc, op.requestBody!.content["application/json"].schema)) {
          assert.ok(
            o.strict,
            `${method.toUpperCase()} ${path}: body.${o.path.join(".")} is not strict in OpenAPI`,
          );
        }
      }
    });

    await t.step("an unknown field at the top and in each nested object is refused and named", async () => {
      for (const { method, path, op } of ops) {
        const base = sampleJson(doc, op);
        for (const o of objectPaths(doc, op.requestBody!.content["application/json"].schema)) {
          const field = [...o.path, "zz_unknown_field"];
          const { status, problem } = await send(
            who,
            method,
            fillPath(doc, path, op),
            op,
            withValueAt(base, field, 1),
          );
          const where = `${method.toUpperCase()} ${path} with body.${field.join(".")}`;
          assert.equal(status, 422, `${where}: ${status} ${JSON.stringify(problem)}`);
          const named = problem.errors?.find((e) => e.path === `body.${field.join(".")}`);
          assert.ok(named, `${where}: not named in ${JSON.stringify(problem.errors)}`);
          assert.equal(named.message, `Received unknown parameter: ${field.join(".")}`);
        }
      }
    });

    await t.step("the spec's own example bodies declare no field the API does not know", async () => {
      // From spec/routes-seed.pt-BR.md: what a client written from the spec sends.
      const seed: [string, string, Record<string, unknown>][] = [
        ["post", "/api/v1/auth/login", { email: "user@example.com", password: "password123" }],
        ["post", "/api/v1/auth/register", {
          email: "user@example.com",
          password: "password123",
          name: "João Silva",
          tenant_name: "Empresa XYZ",
        }],
        ["post", "/api/v1/auth/refresh", { refresh_token: "refresh_token" }],
        ["post", "/api/v1/auth/forgot-password", { email: "user@example.com" }],
        ["post", "/api/v1/auth/reset-password", { token: "reset_token", new_password: "newpassword123" }],
        ["post", "/api/v1/auth/verify-email", { token: "verification_token" }],
        ["post", "/api/v1/whatsapp-configs", {
          name: "WhatsApp Principal",
          phone_number: "+5511999999999",
          api_type: "official",
          access_token: "token",
        }],
        ["put", "/api/v1/whatsapp-configs/{id}", { name: "WhatsApp Atualizado", is_active: true }],
        ["post", "/api/v1/whatsapp/send", { to: "+5511999999999", message: "Olá, tudo bem?" }],
        ["post", "/api/v1/whatsapp/send-template", {
          to: "+5511999999999",
          template_name: "welcome_message",
          language: "pt_BR",
          parameters: ["João", "10%"],
        }],
        ["post", "/api/v1/whatsapp/send-media", {
          to: "+5511999999999",
          type: "image",
          media_url: "https://example.com/image.jpg",
          caption: "Legenda da imagem",
        }],
        ["post", "/api/v1/whatsapp/send-audio", {
          to: "+5511999999999",
          audio_url: "https://example.com/audio.mp3",
        }],
        ["post", "/api/v1/whatsapp/send-document", {
          to: "+5511999999999",
          document_url: "https://example.com/file.pdf",
          filename: "contrato.pdf",
        }],
        ["post", "/api/v1/whatsapp/send-location", {
          to: "+5511999999999",
          latitude: -23.5505,
          longitude: -46.6333,
          name: "São Paulo",
          address: "São Paulo, SP, Brasil",
        }],
        ["post", "/api/v1/whatsapp/send-contact", {
          to: "+5511999999999",
          contact: { name: "João Silva", phone: "+5511888888888" },
        }],
        ["post", "/api/v1/whatsapp/send-buttons", {
          to: "+5511999999999",
          message: "Escolha uma opção:",
          buttons: [{ id: "1", title: "Opção 1" }, { id: "2", title: "Opção 2" }],
        }],
        ["post", "/api/v1/whatsapp/send-list", {
          to: "+5511999999999",
          title: "Menu",
          body: "Escolha uma opção do menu",
          button_text: "Ver opções",
          sections: [{ title: "Planos", rows: [{ id: "1", title: "Fibra 500" }] }],
        }],
        ["post", "/api/v1/conversations", { contact_phone: "+5511999999999", contact_name: "João Silva" }],
        ["put", "/api/v1/conversations/{id}", { status: "resolved", tags: ["vip", "suporte"] }],
        ["post", "/api/v1/conversations/{id}/assign", { agent_id: crypto.randomUUID() }],
        ["post", "/api/v1/conversations/{id}/transfer", {
          to_agent_id: crypto.randomUUID(),
          reason: "Especialista técnico",
        }],
        ["post", "/api/v1/conversations/{id}/tags", { tags: ["urgente", "financeiro"] }],
        ["post", "/api/v1/conversations/{id}/notes", { note: "Cliente solicitou desconto" }],
        ["post", "/api/v1/contacts", {
          phone: "+5511999999999",
          name: "João Silva",
          email: "joao@example.com",
          tags: ["cliente", "vip"],
        }],
        ["post", "/api/v1/contacts/{id}/tags", { tags: ["novo", "importante"] }],
        ["delete", "/api/v1/contacts/{id}/tags", { tags: ["remover"] }],
        ["post", "/api/v1/tenants", { name: "Empresa ABC", domain: "abc.pytake.net", plan: "growth" }],
        ["put", "/api/v1/tenants/{id}", {
          name: "Empresa ABC Ltda",
          settings: { timezone: "America/Sao_Paulo" },
        }],
        ["post", "/api/v1/tenants/{id}/upgrade", { plan: "enterprise" }],
        ["post", "/api/v1/tenants/{id}/suspend", { reason: "Pagamento pendente" }],
        ["post", "/api/v1/dashboard/export", { format: "pdf", period: "month" }],
        ["post", "/api/v1/webhooks", {
          url: "https://example.com/webhook",
          events: ["message.received", "message.sent"],
          secret: "webhook_secret_0123456789",
        }],
        ["post", "/api/v1/webhooks/{id}/retry", { event_id: crypto.randomUUID() }],
        ["post", "/api/v1/users", { email: "novo@example.com", name: "Novo Usuário", role: "agent" }],
        ["post", "/api/v1/users/{id}/change-password", { current_password: "old", new_password: "new" }],
        ["put", "/api/v1/users/{id}/permissions", { permissions: ["read:messages", "write:messages"] }],
      ];
      for (const [method, path, json] of seed) {
        const op = doc.paths[path]?.[method];
        assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
        const { status, problem } = await send(who, method, fillPath(doc, path, op), op, json);
        const unknown = problem.errors?.filter((e) => /unknown parameter/.test(e.message)) ?? [];
        assert.deepEqual(
          unknown,
          [],
          `${method.toUpperCase()} ${path}: ${status} ${JSON.stringify(problem)}`,
        );
        assert.ok(status < 500, `${method.toUpperCase()} ${path}: ${status}`);
      }
    });

    await t.step("a password on an invitation is refused, and no user is invited", async () => {
      const email = `convidada.${crypto.randomUUID().slice(0, 8)}@example.com`;
      const { status, problem } = await send(
        who,
        "post",
        "/api/v1/users",
        { operationId: "createUser", "x-pytake-access": { permission: "write:users" } },
        { email, name: "Convidada", role: "agent", password: "Senha-forte-1" },
      );
      assert.equal(status, 422);
      assert.deepEqual(problem.errors, [
        { path: "body.password", message: "Received unknown parameter: password" },
      ]);
      const list = await body<{ data: { email: string }[] }>(
        await ctx.request(`/api/v1/users?q=${encodeURIComponent(email)}`, { token: who.owner }),
      );
      assert.deepEqual(list.data, []);
    });

    await t.step("free-form maps stay open: custom attributes keep any key", async () => {
      const contact = await ctx.request("/api/v1/contacts", {
        method: "POST",
        token: who.owner,
        json: { phone: "+5511987650002", attributes: { plano: "fibra 500", vencimento: 10 } },
      });
      assert.equal(contact.status, 201, await contact.clone().text());
      assert.deepEqual((await body<{ attributes: unknown }>(contact)).attributes, {
        plano: "fibra 500",
        vencimento: 10,
      });
    });
  } finally {
    await ctx.close();
  }
});
