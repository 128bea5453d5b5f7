import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { callLog, connectErp } from "../support/erp.ts";
import { HUBSOFT_CREDENTIALS, startHubsoftStandIn } from "../support/erp-hubsoft-standin.ts";

type Problem = { code: string; detail: string; reason?: string; errors?: { path: string }[] };

Deno.test("HubSoft adapter against the HubSoft stand-in", async (t) => {
  const hub = await startHubsoftStandIn();
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "enterprise");
    const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      ctx.request(`/api/v1/erp/hubsoft${path}`, { token: owner.token, ...init });

    await t.step("connect: the four OAuth fields; a wrong password is HubSoft's 401 message", async () => {
      const missing = await ctx.request("/api/v1/erp/connect/hubsoft", {
        method: "POST",
        token: owner.token,
        json: { api_url: hub.url, client_id: "17" },
      });
      const pm = await body<Problem>(missing);
      assert.deepEqual(pm.errors!.map((e) => e.path), [
        "body.client_secret",
        "body.username",
        "body.password",
      ]);
      const wrong = await ctx.request("/api/v1/erp/connect/hubsoft", {
        method: "POST",
        token: owner.token,
        json: { api_url: hub.url, ...HUBSOFT_CREDENTIALS, password: "errada" },
      });
      const p = await body<Problem>(wrong);
      assert.equal(wrong.status, 422);
      assert.match(p.detail, /user credentials were incorrect/);
      const c = await connectErp(ctx, owner.token, "hubsoft", { api_url: hub.url, ...HUBSOFT_CREDENTIALS });
      assert.deepEqual(c.credentials, {
        client_id: "17",
        client_secret: "s3cr…ient",
        username: HUBSOFT_CREDENTIALS.username,
        password: "Senh…ao-1",
      });
      assert.deepEqual(hub.calls("/oauth/token").at(-1)!.json, {
        grant_type: "password",
        ...HUBSOFT_CREDENTIALS,
      });
    });

    await t.step(
      "customer by CPF: codigo_cliente as the id, services as contracts, the provider's alerts",
      async () => {
        hub.requests.length = 0;
        const res = await api("/customers/111.444.777-35");
        const b = await body<
          {
            data: {
              id: string;
              status: string;
              alerts: string[];
              address: { city: string };
              contracts: { id: string; status: string; plan: { price_cents: number } }[];
            }[];
          }
        >(
          res,
        );
        assert.equal(res.status, 200, JSON.stringify(b));
        const call = hub.requests[0];
        assert.equal(
          call.path + "?" + call.query.toString(),
          "/api/v1/integracao/cliente?busca=cpf_cnpj&termo_busca=11144477735&limit=20",
        );
        assert.match(call.headers.authorization, /^Bearer eyJ/);
        assert.equal(hub.calls("/oauth/token").length, 0, "the token came from KV, sealed");
        assert.equal(b.data[0].id, "421");
        assert.equal(b.data[0].status, "blocked");
        assert.deepEqual(b.data[0].contracts.map((c) => [c.id, c.status, c.plan.price_cents]), [[
          "11201",
          "blocked",
          9990,
        ], [
          "11202",
          "active",
          7990,
        ]]);
        assert.deepEqual(b.data[0].alerts, ["Manutenção programada no bairro Centro das 02h às 04h"]);
        assert.equal(b.data[0].address.city, "Uberlândia");
        const none = await api("/customers/52998224725");
        assert.equal(none.status, 404);
        await none.body?.cancel();
      },
    );

    await t.step("a token HubSoft no longer accepts: a new one, once, and the call repeated", async () => {
      hub.revokeTokens();
      const before = hub.tokens.length;
      const res = await api("/invoices?customer_id=421");
      const b = await body<
        {
          data: {
            id: string;
            status: string;
            due_date: string;
            amount_cents: number;
            pix_copia_e_cola: string | null;
          }[];
        }
      >(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(hub.tokens.length, before + 1);
      assert.deepEqual(b.data.map((i) => [i.id, i.status, i.amount_cents]), [["36403", "overdue", 9990], [
        "36404",
        "open",
        7990,
      ]]);
      assert.match(b.data[0].due_date, /^\d{4}-\d{2}-\d{2}$/);
      const all = await body<{ data: { status: string }[] }>(
        await api("/invoices?customer_id=421&status=all"),
      );
      assert.deepEqual(all.data.map((i) => i.status).sort(), ["open", "overdue", "paid"]);
      assert.equal(hub.calls("/cliente/financeiro").at(-1)!.query.get("apenas_pendente"), "nao");
    });

    await t.step("segunda via: from the invoice itself (link, line, PIX); needs the customer", async () => {
      const noCustomer = await api("/invoices/36403/duplicate", { method: "POST" });
      assert.equal((await body<Problem>(noCustomer)).errors![0].path, "body.customer_id");
      const b = await body<
        { pdf_url: string; linha_digitavel: string; barcode: string; pix_copia_e_cola: string }
      >(
        await api("/invoices/36403/duplicate", { method: "POST", json: { customer_id: "421" } }),
      );
      assert.equal(b.pdf_url, "https://hubsoft.example/pdf/fatura/TXpZME1ETT0=");
      assert.match(b.linha_digitavel, /^75691\.31662/);
      assert.equal(b.barcode, "75697733800000010001316601006726102721000001");
      assert.match(b.pix_copia_e_cola, /^000201/);
      const paid = await api("/invoices/36300/duplicate", { method: "POST", json: { customer_id: "421" } });
      assert.equal((await body<Problem>(paid)).reason, "paid");
    });

    await t.step("connection: the last RADIUS accounting, asked for with ultima_conexao=sim", async () => {
      const b = await body<
        {
          source: string;
          connections: { login: string; state: string; ip: string | null; since: string; detail: string }[];
        }
      >(
        await api("/connection-status/421"),
      );
      assert.equal(b.source, "accounting");
      assert.deepEqual(b.connections.map((c) => [c.login, c.state, c.ip]), [[
        "guilherme.silva",
        "offline",
        null,
      ], [
        "guilherme.loja",
        "online",
        "177.10.10.10",
      ]]);
      assert.equal(b.connections[1].since, "2026-12-03T10:00:00.000Z");
      assert.equal(hub.calls("/integracao/cliente").at(-1)!.query.get("ultima_conexao"), "sim");
    });

    await t.step(
      "trust unlock: the suspended service, the days, the date out of HubSoft's msg; its rule",
      async () => {
        const res = await api("/customers/421/unblock", { method: "POST" });
        const b = await body<{ contract_id: string; until: string; message: string }>(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.deepEqual(hub.unlocks, [{ id_cliente_servico: "11201", dias_desbloqueio: "3" }]);
        assert.equal(b.contract_id, "11201");
        assert.match(b.until, /^\d{4}-\d{2}-\d{2}$/);
        await (await api("/settings", { method: "PUT", json: { unlock: { once_per_days: 0, days: 7 } } }))
          .body?.cancel();
        const tooMany = await api("/customers/421/unblock", {
          method: "POST",
          json: { contract_id: "11201" },
        });
        const p = await body<Problem>(tooMany);
        assert.equal(tooMany.status, 409);
        assert.match(p.detail, /excede o máximo/);
      },
    );

    await t.step(
      "atendimento: name and phone from the customer when not given; parametros carry the conversation",
      async () => {
        await (await api("/settings", { method: "PUT", json: { ticket_types: { technical: "5" } } })).body
          ?.cancel();
        const conversation = crypto.randomUUID();
        const res = await api("/tickets", {
          method: "POST",
          json: {
            customer_id: "421",
            contract_id: "11202",
            type: "technical",
            description: "Lentidão à noite",
            conversation_id: conversation,
          },
        });
        const tk = await body<{ id: string; protocol: string; contract_id: string }>(res);
        assert.equal(res.status, 201, JSON.stringify(tk));
        assert.deepEqual(hub.calls("/integracao/atendimento").at(-1)!.json, {
          id_cliente_servico: "11202",
          descricao: "Lentidão à noite",
          nome: "GUILHERME SILVA",
          telefone: "34991234567",
          id_tipo_atendimento: "5",
          abrir_os: false,
          parametros: { origem: "pytake", conversation_id: conversation },
        });
        assert.equal(tk.contract_id, "11202");
        const ambiguous = await api("/tickets", {
          method: "POST",
          json: { customer_id: "421", type: "technical", description: "x" },
        });
        assert.equal((await body<Problem>(ambiguous)).code, "erp_contract_required");
        const list = await body<{ data: { id: string }[] }>(await api("/tickets?customer_id=421"));
        assert.deepEqual(list.data.map((x) => x.id), [tk.id, "300"]);
        const upd = await ctx.request(`/api/v1/erp/hubsoft/tickets/${tk.id}`, {
          method: "PUT",
          token: owner.token,
          json: { message: "Resolvido", close: true },
        });
        const u = await body<{ status: string }>(upd);
        assert.equal(upd.status, 200, JSON.stringify(u));
        assert.equal(u.status, "closed");
        assert.deepEqual(hub.calls(`/atendimento/${tk.id}`)[0].json, {
          descricao: "Resolvido",
          fechar_atendimento: true,
        });
        const gone = await ctx.request("/api/v1/erp/hubsoft/tickets/9999", {
          method: "PUT",
          token: owner.token,
          json: { message: "x" },
        });
        assert.equal(gone.status, 404);
        await gone.body?.cancel();
      },
    );

    await t.step(
      "plans with speeds from Kbps; no plan change: 501 pointing at a plan_change ticket",
      async () => {
        const plans = await body<{ data: { id: string; download_mbps: number; upload_mbps: number }[] }>(
          await api("/plans"),
        );
        assert.deepEqual(plans.data.map((p) => [p.id, p.download_mbps, p.upload_mbps]), [["1", 100, 50], [
          "3",
          300,
          150,
        ]]);
        const res = await api("/customers/421/change-plan", { method: "POST", json: { plan_id: "3" } });
        const p = await body<Problem>(res);
        assert.equal(res.status, 501);
        assert.match(p.detail, /plan_change/);
      },
    );

    await t.step("nothing secret in the log: not the client secret, the password or a token", async () => {
      const text = JSON.stringify(await callLog(ctx, owner.tenantId, "hubsoft"));
      for (const secret of [HUBSOFT_CREDENTIALS.client_secret, HUBSOFT_CREDENTIALS.password, ...hub.tokens]) {
        assert.ok(!text.includes(secret));
      }
    });
  } finally {
    await ctx.close();
    await hub.close();
  }
});
