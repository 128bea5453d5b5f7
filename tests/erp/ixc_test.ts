import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { callLog, connectErp } from "../support/erp.ts";
import { IXC_LINES, IXC_PDF, IXC_PIX, IXC_TOKEN, startIxcStandIn } from "../support/erp-ixc-standin.ts";

type Problem = {
  code: string;
  detail: string;
  reason?: string;
  erp_code?: string;
  errors?: { path: string }[];
};

Deno.test("IXC adapter against the IXC stand-in", async (t) => {
  const ixc = await startIxcStandIn();
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "enterprise");
    const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      ctx.request(`/api/v1/erp/ixc${path}`, { token: owner.token, ...init });

    await t.step("connect: a refused token is a 422 with IXC's reason, and nothing is saved", async () => {
      const res = await ctx.request("/api/v1/erp/connect/ixc", {
        method: "POST",
        token: owner.token,
        json: { api_url: ixc.url, api_key: "27:wrong" },
      });
      const p = await body<Problem>(res);
      assert.equal(res.status, 422, JSON.stringify(p));
      assert.match(p.detail, /401/);
      const status = await body<{ connected: boolean }>(await api("/status"));
      assert.equal(status.connected, false);
      const missing = await ctx.request("/api/v1/erp/connect/ixc", {
        method: "POST",
        token: owner.token,
        json: { api_url: ixc.url, api_key: "27" },
      });
      assert.equal(missing.status, 422);
      assert.equal((await body<Problem>(missing)).errors![0].path, "body.api_secret");
    });

    await t.step(
      "connect: id and hash apart, a pasted /webservice/v1, Basic auth of the whole token",
      async () => {
        const [id, hash] = IXC_TOKEN.split(":");
        const c = await connectErp(ctx, owner.token, "ixc", {
          api_url: `${ixc.url}/webservice/v1/`,
          api_key: id,
          api_secret: hash,
        });
        assert.equal(c.api_url, ixc.url);
        assert.deepEqual(c.credentials, { api_key: "••••", api_secret: "6f1e…6e5f" });
        const test = ixc.requests.at(-1)!;
        assert.equal(test.path, "/webservice/v1/cliente");
        assert.equal(test.headers.authorization, `Basic ${btoa(IXC_TOKEN)}`);
        assert.equal(test.headers.ixcsoft, "listar");
        assert.match(String((c.capabilities as Record<string, unknown>).change_plan), /plan_change/);
      },
    );

    await t.step(
      "customer by CPF: the masked form first, exactly as IXC stores it; then its contracts",
      async () => {
        ixc.requests.length = 0;
        const res = await api("/customers/52998224725");
        const b = await body<
          {
            data: {
              id: string;
              status: string;
              phones: string[];
              contracts: { id: string; status: string }[];
            }[];
          }
        >(
          res,
        );
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.equal(
          ixc.requests[0].raw,
          '{"qtype":"cliente.cnpj_cpf","query":"529.982.247-25","oper":"=","page":"1","rp":"20","sortname":"cliente.id","sortorder":"asc"}',
        );
        assert.deepEqual(JSON.parse(ixc.requests[1].raw), {
          qtype: "cliente_contrato.id_cliente",
          query: "1",
          oper: "=",
          page: "1",
          rp: "1000",
          sortname: "cliente_contrato.id",
          sortorder: "asc",
        });
        assert.equal(b.data[0].id, "1");
        assert.equal(b.data[0].status, "blocked");
        assert.deepEqual(b.data[0].phones, ["+5519998765432"]);
        assert.deepEqual(b.data[0].contracts.map((c) => [c.id, c.status]), [["10", "blocked"]]);
      },
    );

    await t.step("a customer stored with digits only is found on the second try", async () => {
      ixc.requests.length = 0;
      const b = await body<{ data: { id: string; contracts: unknown[] }[] }>(
        await api("/customers/111.444.777-35"),
      );
      assert.equal(b.data[0].id, "2");
      assert.equal(b.data[0].contracts.length, 2);
      assert.deepEqual(ixc.requests.slice(0, 2).map((r) => (r.json as { query: string }).query), [
        "111.444.777-35",
        "11144477735",
      ]);
      const log = (await callLog(ctx, owner.tenantId, "ixc")).filter((l) => l.operation === "find_customers");
      assert.ok(log.some((l) => l.outcome === "not_found"));
      assert.ok(log.every((l) => !l.endpoint.includes("11144477735")));
    });

    await t.step("invoices: the open-only grid filter, amounts in cents, overdue by date", async () => {
      ixc.requests.length = 0;
      const b = await body<{ data: { id: string; status: string; amount_cents: number; pdf_url: string }[] }>(
        await api("/invoices?customer_id=1"),
      );
      const grid = ixc.requests[0].json as { grid_param: string; qtype: string; sortname: string };
      assert.equal(grid.qtype, "fn_areceber.id_cliente");
      assert.equal(grid.sortname, "fn_areceber.data_vencimento");
      assert.deepEqual(JSON.parse(grid.grid_param), [
        { TB: "fn_areceber.liberado", OP: "=", P: "S" },
        { TB: "fn_areceber.status", OP: "=", P: "A" },
      ]);
      assert.deepEqual(b.data.map((i) => [i.id, i.status, i.amount_cents]), [["100", "overdue", 9990], [
        "101",
        "open",
        9990,
      ]]);
      assert.match(b.data[0].pdf_url, /\/api\/v1\/erp\/ixc\/invoices\/100\/pdf\?token=/);
      const all = await body<{ data: { id: string; status: string }[] }>(
        await api("/invoices?customer_id=1&status=all"),
      );
      assert.deepEqual(all.data.map((i) => i.status).sort(), ["open", "overdue", "paid"]);
    });

    await t.step(
      "segunda via: an unprinted boleto is printed first; no PIX for it is not a failure",
      async () => {
        ixc.requests.length = 0;
        const res = await api("/invoices/101/duplicate", { method: "POST" });
        const b = await body<{ linha_digitavel: string; pix_copia_e_cola: string | null; pdf_url: string }>(
          res,
        );
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.deepEqual(ixc.requests.map((r) => r.path.split("/").at(-1)), [
          "fn_areceber",
          "get_boleto",
          "fn_areceber",
          "get_pix",
        ]);
        assert.deepEqual(ixc.requests[1].json, {
          boletos: "101",
          juro: "N",
          multa: "N",
          atualiza_boleto: "N",
          tipo_boleto: "arquivo",
          base64: "S",
        });
        assert.equal(b.linha_digitavel, IXC_LINES.open);
        assert.equal(b.pix_copia_e_cola, null);
        const pdf = await ctx.request(b.pdf_url.replace("http://pytake.test", ""));
        assert.equal(pdf.status, 200);
        assert.equal(new TextDecoder().decode(await pdf.arrayBuffer()), IXC_PDF);
        const withPix = await body<{ pix_copia_e_cola: string }>(
          await api("/invoices/100/duplicate", { method: "POST" }),
        );
        assert.equal(withPix.pix_copia_e_cola, IXC_PIX);
        const paid = await api("/invoices/102/duplicate", { method: "POST" });
        assert.equal((await body<Problem>(paid)).reason, "paid");
        const unknown = await api("/invoices/777/duplicate", { method: "POST" });
        assert.equal(unknown.status, 404);
        await unknown.body?.cancel();
      },
    );

    await t.step(
      "connection status: online, offline (blocked, with IXC's reason) and IXC's 'SS'",
      async () => {
        const two = await body<
          { connections: { login: string; state: string; ip: string | null; since: string | null }[] }
        >(
          await api("/connection-status/2"),
        );
        assert.deepEqual(two.connections.map((c) => [c.login, c.state]), [["maria.oliveira", "online"], [
          "maria.casa2",
          "unknown",
        ]]);
        assert.equal(two.connections[0].ip, "100.64.10.20");
        assert.equal(two.connections[0].since, "2026-12-02T10:00:00.000Z", "São Paulo time to UTC");
        const one = await body<{ connections: { state: string; blocked: boolean; detail: string }[] }>(
          await api("/connection-status/1"),
        );
        assert.deepEqual([one.connections[0].state, one.connections[0].blocked, one.connections[0].detail], [
          "offline",
          true,
          "Bloqueio financeiro",
        ]);
        const none = await api("/connection-status/99");
        assert.equal(none.status, 404);
        await none.body?.cancel();
      },
    );

    await t.step("unlock: the blocked contract, once; IXC's codes become reasons", async () => {
      ixc.requests.length = 0;
      const res = await api("/customers/1/unblock", { method: "POST" });
      const b = await body<{ contract_id: string; message: string }>(res);
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(b.contract_id, "10");
      const sent = ixc.calls("desbloqueio_confianca");
      assert.equal(sent.length, 1);
      assert.equal(sent[0].raw, '{"id":"10"}');
      const again = await api("/customers/1/unblock", { method: "POST" });
      assert.equal((await body<Problem>(again)).reason, "policy");
      assert.equal(ixc.calls("desbloqueio_confianca").length, 1, "our rule refused without asking IXC");
      const used = await api("/customers/3/unblock", { method: "POST" });
      const pu = await body<Problem>(used);
      assert.equal(used.status, 409);
      assert.deepEqual([pu.reason, pu.erp_code], ["already_used", "113"]);
      assert.match(pu.detail, /já utilizado/);
      const active = await api("/customers/2/unblock", { method: "POST" });
      assert.equal((await body<Problem>(active)).reason, "not_blocked");
    });

    await t.step(
      "tickets: IXC needs the subject id; `menssagem` as IXC spells it; protocol read back",
      async () => {
        const noSubject = await api("/tickets", {
          method: "POST",
          json: { customer_id: "2", type: "technical", description: "Sem sinal" },
        });
        const p = await body<Problem>(noSubject);
        assert.equal(noSubject.status, 422);
        assert.equal(p.errors![0].path, "settings.ticket_types.technical");
        await (await api("/settings", {
          method: "PUT",
          json: {
            ticket_types: { technical: "15" },
            ticket_defaults: { department_id: "3", branch_id: "1" },
          },
        })).body?.cancel();
        ixc.requests.length = 0;
        const res = await api("/tickets", {
          method: "POST",
          json: {
            customer_id: "2",
            contract_id: "20",
            type: "technical",
            description: "Sem sinal desde ontem",
          },
        });
        const tk = await body<{ id: string; protocol: string; status: string }>(res);
        assert.equal(res.status, 201, JSON.stringify(tk));
        assert.deepEqual(ixc.requests[0].json, {
          tipo: "C",
          id_cliente: "2",
          id_contrato: "20",
          id_assunto: "15",
          titulo: "Sem sinal desde ontem",
          menssagem: "Sem sinal desde ontem",
          id_ticket_setor: "3",
          id_filial: "1",
          prioridade: "M",
          su_status: "N",
          origem_endereco: "CC",
        });
        assert.equal(tk.protocol, `20261204${tk.id.padStart(4, "0")}`);
        const list = await body<{ data: { id: string }[] }>(await api("/tickets?customer_id=2"));
        assert.deepEqual(list.data.map((x) => x.id), [tk.id, "900"]);
        const upd = await ctx.request(`/api/v1/erp/ixc/tickets/${tk.id}`, {
          method: "PUT",
          token: owner.token,
          json: { message: "Resolvido com troca da ONU", close: true },
        });
        const u = await body<{ status: string }>(upd);
        assert.equal(upd.status, 200, JSON.stringify(u));
        assert.equal(u.status, "resolved");
        assert.deepEqual(ixc.calls("su_mensagens").at(-1)!.json, {
          id_ticket: tk.id,
          mensagem: "Resolvido com troca da ONU",
          su_status: "S",
        });
        const closed = await ctx.request(`/api/v1/erp/ixc/tickets/${tk.id}`, {
          method: "PUT",
          token: owner.token,
          json: { message: "de novo" },
        });
        assert.equal((await body<Problem>(closed)).reason, "ticket_closed");
      },
    );

    await t.step("plans, and a plan change IXC cannot do: 501 with what to do, IXC not called", async () => {
      const plans = await body<{ data: { id: string; price_cents: number; active: boolean }[] }>(
        await api("/plans"),
      );
      assert.deepEqual(plans.data.map((p) => [p.id, p.price_cents, p.active]), [["7", 9990, true], [
        "8",
        11990,
        true,
      ], [
        "9",
        24990,
        false,
      ]]);
      const before = ixc.requests.length;
      const res = await api("/customers/2/change-plan", {
        method: "POST",
        json: { plan_id: "8", contract_id: "21" },
      });
      const p = await body<Problem>(res);
      assert.equal(res.status, 501);
      assert.equal(p.code, "erp_unsupported");
      assert.match(p.detail, /plan_change/);
      assert.equal(ixc.requests.length, before);
    });

    await t.step("a full sync pages through IXC's customers", async () => {
      const started = await body<{ id: string }>(await api("/sync", { method: "POST" }));
      await ctx.services.runner!.drain();
      const done = await body<{ status: string; processed: number; created: number }>(
        await api(`/sync/${started.id}`),
      );
      assert.equal(done.status, "completed", JSON.stringify(done));
      assert.equal(done.processed, 3);
      assert.equal(done.created, 3);
    });

    await t.step("IXC answering an HTML page: 502 erp_error naming it, logged as bad_response", async () => {
      ixc.failNext({ kind: "html" });
      const res = await api("/customers/11222333000181");
      const p = await body<Problem>(res);
      assert.equal(res.status, 502);
      assert.equal(p.code, "erp_error");
      assert.match(p.detail, /not JSON.*text\/html.*502 Bad Gateway/);
      const log = await callLog(ctx, owner.tenantId, "ixc");
      assert.equal(log.at(-1)!.outcome, "bad_response");
    });

    await t.step("the call log never holds the token", async () => {
      const log = await callLog(ctx, owner.tenantId, "ixc");
      const text = JSON.stringify(log);
      assert.ok(!text.includes(IXC_TOKEN.split(":")[1]));
      assert.ok(!text.includes(btoa(IXC_TOKEN)));
    });
  } finally {
    await ctx.close();
    await ixc.close();
  }
});
