import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { callLog, connectErp } from "../support/erp.ts";
import { MK_CONTRA_SENHA, MK_USER_TOKEN, startMkStandIn } from "../support/erp-mk-standin.ts";

type Problem = { code: string; detail: string; reason?: string; errors?: { path: string }[] };

Deno.test("MK Solutions adapter against the MK stand-in", async (t) => {
  const mk = await startMkStandIn();
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "enterprise");
    const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      ctx.request(`/api/v1/erp/mk${path}`, { token: owner.token, ...init });

    await t.step("connect: a wrong contra-senha is MK's own refusal, decoded", async () => {
      const res = await ctx.request("/api/v1/erp/connect/mk", {
        method: "POST",
        token: owner.token,
        json: { api_url: mk.url, api_key: MK_USER_TOKEN, api_secret: "errada" },
      });
      const p = await body<Problem>(res);
      assert.equal(res.status, 422);
      assert.match(p.detail, /Token inválido/);
      await connectErp(ctx, owner.token, "mk", {
        api_url: `${mk.url}/mk`,
        api_key: MK_USER_TOKEN,
        api_secret: MK_CONTRA_SENHA,
      });
      const auth = mk.calls("WSAutenticacao").at(-1)!;
      assert.equal(
        auth.path + "?" + auth.query.toString(),
        `/mk/WSAutenticacao.rule?sys=MK0&token=${MK_USER_TOKEN}&password=${MK_CONTRA_SENHA}&cd_servico=9999`,
      );
    });

    await t.step("customer: both registrations, names decoded, connections as contracts", async () => {
      mk.requests.length = 0;
      const res = await api("/customers/529.982.247-25");
      const b = await body<
        {
          data: {
            id: string;
            name: string;
            status: string;
            contracts: { id: string; status: string; plan: { name: string }; login: string }[];
          }[];
        }
      >(
        res,
      );
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.deepEqual(b.data.map((c) => [c.id, c.name, c.status]), [
        ["12345", "JOÃO DA CONCEIÇÃO", "blocked"],
        ["12399", "JOÃO DA CONCEIÇÃO ME", "active"],
      ]);
      assert.deepEqual(b.data[0].contracts, [{
        id: "501",
        status: "blocked",
        plan: { id: null, name: "FIBRA 300 MEGA", download_mbps: null, upload_mbps: null, price_cents: null },
        login: "joao.silva",
      }]);
      // A session was authenticated once and reused for every call.
      assert.equal(mk.calls("WSAutenticacao").length, 0);
      const session = mk.sessions.at(-1)!;
      assert.ok(mk.requests.every((r) => r.query.get("token") === session && r.query.get("sys") === "MK0"));
      assert.equal((await api("/customers/11144477735")).status, 404);
    });

    await t.step("an expired session (999) is renewed once and the call repeated", async () => {
      mk.expireSessions();
      const before = mk.sessions.length;
      const res = await api("/invoices?customer_id=12345");
      const b = await body<
        { data: { id: string; status: string; amount_cents: number; due_date: string }[] }
      >(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(mk.sessions.length, before + 1);
      assert.deepEqual(b.data.map((i) => [i.id, i.status, i.amount_cents]), [["7001", "overdue", 9990], [
        "7002",
        "open",
        123450,
      ]]);
      assert.match(b.data[0].due_date, /^\d{4}-\d{2}-\d{2}$/);
      const paid = await api("/invoices?customer_id=12345&status=paid");
      assert.equal(paid.status, 501);
      await paid.body?.cancel();
      const log = await callLog(ctx, owner.tenantId, "mk");
      assert.ok(!JSON.stringify(log).includes(MK_CONTRA_SENHA));
      assert.ok(mk.sessions.every((s) => !JSON.stringify(log).includes(s)), "session tokens are redacted");
    });

    await t.step(
      "segunda via: the PDF path, the line from LDViaSMS, the updated amount; no PIX is no failure",
      async () => {
        const b = await body<
          { pdf_url: string; linha_digitavel: string; amount_cents: number; pix_copia_e_cola: string | null }
        >(
          await api("/invoices/7002/duplicate", { method: "POST" }),
        );
        assert.equal(b.pdf_url, "https://mk.example/boleto/7002.pdf");
        assert.equal(b.linha_digitavel, "75691316620100672610127210000017773380000001000");
        assert.equal(b.amount_cents, 123456);
        assert.equal(b.pix_copia_e_cola, null);
        const withPix = await body<{ pix_copia_e_cola: string }>(
          await api("/invoices/7001/duplicate", { method: "POST" }),
        );
        assert.match(withPix.pix_copia_e_cola, /^000201/);
        const missing = await api("/invoices/1/duplicate", { method: "POST" });
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
      },
    );

    await t.step(
      "connection status: blocked or not, never a live flag (state unknown, source none)",
      async () => {
        const b = await body<
          {
            source: string;
            connections: { state: string; blocked: boolean; reduced: boolean; detail: string }[];
          }
        >(
          await api("/connection-status/12345"),
        );
        assert.equal(b.source, "none");
        assert.deepEqual(b.connections.map((c) => [c.state, c.blocked, c.reduced, c.detail]), [[
          "unknown",
          true,
          false,
          "Inadimplência",
        ]]);
      },
    );

    await t.step("auto-desbloqueio: by the connection; MK's two refusals", async () => {
      const res = await api("/customers/12345/unblock", { method: "POST" });
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual(mk.unlocked, ["501"]);
      assert.equal(mk.calls("WSMKAutoDesbloqueio")[0].query.get("diasexcecao"), "3");
      await (await api("/settings", { method: "PUT", json: { unlock: { once_per_days: 0 } } })).body
        ?.cancel();
      const used = await api("/customers/12345/unblock", { method: "POST" });
      const p = await body<Problem>(used);
      assert.equal(used.status, 409);
      assert.equal(p.reason, "already_used");
      assert.equal(p.detail, "Operação indisponível para esta conexão.");
      const active = await api("/customers/12399/unblock", { method: "POST", json: { contract_id: "502" } });
      assert.equal((await body<Problem>(active)).reason, "not_blocked");
    });

    await t.step(
      "atendimentos: process and classification required, comments encoded and kept to 300",
      async () => {
        const missing = await api("/tickets", {
          method: "POST",
          json: { customer_id: "12345", type: "technical", description: "x" },
        });
        assert.equal((await body<Problem>(missing)).errors![0].path, "settings.ticket_defaults.process_id");
        await (await api("/settings", {
          method: "PUT",
          json: { ticket_types: { technical: "4" }, ticket_defaults: { process_id: "2" } },
        })).body?.cancel();
        const res = await api("/tickets", {
          method: "POST",
          json: {
            customer_id: "12345",
            contract_id: "501",
            type: "technical",
            description: "Conexão caindo",
          },
        });
        const tk = await body<{ id: string; protocol: string }>(res);
        assert.equal(res.status, 201, JSON.stringify(tk));
        assert.deepEqual([tk.id, tk.protocol], ["88001", "202612040088001"]);
        const q = mk.calls("WSMKNovoAtendimento")[0].query;
        assert.deepEqual(
          ["cd_cliente", "cd_processo", "cd_classificacao_ate", "origem_contato", "info", "conexao_associada"]
            .map((k) => q.get(k)),
          ["12345", "2", "4", "9", "Conexão caindo", "501"],
        );
        const long = "ção ".repeat(120);
        const upd = await ctx.request("/api/v1/erp/mk/tickets/88001", {
          method: "PUT",
          token: owner.token,
          json: { message: long },
        });
        assert.equal(upd.status, 200, await upd.text());
        const c = mk.comments.at(-1)!;
        assert.ok(c.comentario.length <= 300);
        assert.match(c.comentario, /^&ccedil;&atilde;o /);
        assert.equal(c.tipo, "2");
        const close = await ctx.request("/api/v1/erp/mk/tickets/88001", {
          method: "PUT",
          token: owner.token,
          json: { close: true },
        });
        assert.equal(close.status, 501);
        await close.body?.cancel();
        const list = await api("/tickets?customer_id=12345");
        const pl = await body<Problem>(list);
        assert.equal(list.status, 501);
        assert.equal(pl.code, "erp_unsupported");
      },
    );

    await t.step("plans read from MK's list; plan change and full sync are 501", async () => {
      const plans = await body<
        { data: { id: string; name: string; price_cents: number; download_mbps: number }[] }
      >(await api("/plans"));
      assert.deepEqual(plans.data.map((p) => [p.id, p.name, p.price_cents, p.download_mbps]), [
        ["31", "FIBRA 300 MEGA", 9990, 300],
        ["32", "RÁDIO 20 MEGA", 6990, 20],
      ]);
      for (
        const [path, json] of [["/customers/12345/change-plan", { plan_id: "31" }], [
          "/sync",
          undefined,
        ]] as const
      ) {
        const res = await api(path, { method: "POST", json });
        assert.equal(res.status, 501, path);
        await res.body?.cancel();
      }
    });
  } finally {
    await ctx.close();
    await mk.close();
  }
});

Deno.test("MK: installs that answer the older tokenRetornoAutenticacao", async () => {
  const mk = await startMkStandIn({ legacyTokenField: true });
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await connectErp(ctx, owner.token, "mk", {
      api_url: mk.url,
      api_key: MK_USER_TOKEN,
      api_secret: MK_CONTRA_SENHA,
    });
    const res = await ctx.request("/api/v1/erp/mk/customers/52998224725", { token: owner.token });
    assert.equal(res.status, 200, await res.text());
  } finally {
    await ctx.close();
    await mk.close();
  }
});
