import { strict as assert } from "node:assert";
import { body, createTestContext } from "../support/harness.ts";
import { registerTenant, setPlan } from "../support/identity.ts";
import { callLog, connectErp } from "../support/erp.ts";
import { SGP_APP, SGP_PIX, SGP_TOKEN, startSgpStandIn } from "../support/erp-sgp-standin.ts";

type Problem = { code: string; detail: string; reason?: string; errors?: { path: string }[] };

Deno.test("SGP adapter against the SGP stand-in", async (t) => {
  const sgp = await startSgpStandIn();
  const ctx = await createTestContext();
  try {
    const owner = await registerTenant(ctx);
    await setPlan(ctx, owner.tenantId, "enterprise");
    const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      ctx.request(`/api/v1/erp/sgp${path}`, { token: owner.token, ...init });

    await t.step("connect: the app name is required and case-sensitive", async () => {
      const missing = await ctx.request("/api/v1/erp/connect/sgp", {
        method: "POST",
        token: owner.token,
        json: { api_url: sgp.url, api_key: SGP_TOKEN },
      });
      assert.equal((await body<Problem>(missing)).errors![0].path, "body.app");
      const wrongCase = await ctx.request("/api/v1/erp/connect/sgp", {
        method: "POST",
        token: owner.token,
        json: { api_url: sgp.url, api_key: SGP_TOKEN, app: SGP_APP.toLowerCase() },
      });
      const p = await body<Problem>(wrongCase);
      assert.equal(wrongCase.status, 422);
      assert.match(p.detail, /case-sensitive/);
      const c = await connectErp(ctx, owner.token, "sgp", {
        api_url: sgp.url,
        api_key: SGP_TOKEN,
        app: SGP_APP,
      });
      assert.deepEqual(c.credentials, { api_key: "8f2a…a6b7", app: SGP_APP });
      const test = sgp.requests.at(-1)!;
      assert.equal(test.method, "GET");
      assert.equal(test.query.get("token"), SGP_TOKEN);
      assert.equal(test.query.get("app"), SGP_APP);
    });

    await t.step(
      "a CPF with two contracts is two customers; None and mixed phone shapes read right",
      async () => {
        sgp.requests.length = 0;
        const res = await api("/customers/529.982.247-25");
        const b = await body<{
          data: {
            id: string;
            status: string;
            phones: string[];
            email: string;
            address: { complement: string | null; number: string | null };
          }[];
        }>(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.equal(sgp.requests[0].headers["content-type"], "application/x-www-form-urlencoded");
        assert.equal(sgp.requests[0].raw, `token=${SGP_TOKEN}&app=${SGP_APP}&cpfcnpj=52998224725`);
        assert.deepEqual(b.data.map((c) => [c.id, c.status]), [["17402", "blocked"], ["17403", "active"]]);
        assert.deepEqual(b.data[0].phones, ["+5585988887777", "+5585999990000"]);
        assert.equal(b.data[0].email, "cliente@example.com");
        assert.equal(b.data[0].address.complement, null, "the string None is no complement");
        assert.equal(b.data[1].address.number, null);
      },
    );

    await t.step("invoices: cancelled ones out, the rest sorted; amounts with corrections", async () => {
      const open = await body<
        { data: { id: string; status: string; amount_cents: number; pix_copia_e_cola: string | null }[] }
      >(
        await api("/invoices?customer_id=17402"),
      );
      assert.deepEqual(open.data.map((i) => [i.id, i.status, i.amount_cents]), [["998", "overdue", 9150], [
        "1001",
        "open",
        8990,
      ]]);
      const all = await body<{ data: { id: string; status: string }[] }>(
        await api("/invoices?customer_id=17402&status=all"),
      );
      assert.deepEqual(all.data.map((i) => i.status), ["cancelled", "paid", "overdue", "open"]);
    });

    await t.step(
      "segunda via: needs the contract; a missing PIX code is fetched from the PIX call",
      async () => {
        const noContract = await api("/invoices/1001/duplicate", { method: "POST" });
        assert.equal((await body<Problem>(noContract)).errors![0].path, "body.customer_id");
        sgp.requests.length = 0;
        const res = await api("/invoices/1001/duplicate", { method: "POST", json: { customer_id: "17402" } });
        const b = await body<{ pix_copia_e_cola: string; pdf_url: string; linha_digitavel: string }>(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.deepEqual(sgp.requests.map((r) => r.path), [
          "/api/ura/fatura2via/",
          "/api/ura/pagamento/pix/1001/",
        ]);
        assert.equal(
          sgp.requests[0].raw,
          `token=${SGP_TOKEN}&app=${SGP_APP}&contrato=17402&faturas_abertas_todas=1&link_pdf=1&nao_gerar_os=1`,
        );
        assert.equal(b.pix_copia_e_cola, SGP_PIX);
        assert.equal(b.pdf_url, "https://sgp.example/boleto/1001.pdf");
        const nothingOpen = await api("/invoices/5/duplicate", {
          method: "POST",
          json: { customer_id: "17403" },
        });
        assert.equal(nothingOpen.status, 404);
        await nothingOpen.body?.cancel();
      },
    );

    await t.step("connection status: offline, and the PPPoE login is kept out of the detail", async () => {
      const b = await body<
        { connections: { state: string; login: string; detail: string; blocked: boolean }[] }
      >(
        await api("/connection-status/17402"),
      );
      assert.equal(b.connections[0].state, "offline");
      assert.equal(b.connections[0].login, "cliente.exemplo");
      assert.ok(!b.connections[0].detail.includes("cliente.exemplo"), b.connections[0].detail);
      assert.equal(b.connections[0].blocked, true);
    });

    await t.step(
      "promise of payment: granted once with its date and protocol; the second refused",
      async () => {
        const res = await api("/customers/17402/unblock", { method: "POST" });
        const b = await body<{ until: string; protocol: string; message: string }>(res);
        assert.equal(res.status, 200, JSON.stringify(b));
        assert.equal(b.protocol, "2026120400077");
        assert.match(b.until, /^\d{4}-\d{2}-\d{2}$/);
        assert.ok(!b.message.includes("cliente.exemplo"), b.message);
        const form = sgp.calls("liberacaopromessa")[0].form!;
        assert.deepEqual([...form.keys()], ["token", "app", "contrato", "data_promessa"]);
        assert.equal(form.get("data_promessa"), b.until);
        // Our policy allows it (once_per_days 0): SGP's own limit refuses.
        await (await api("/settings", { method: "PUT", json: { unlock: { once_per_days: 0 } } })).body
          ?.cancel();
        sgp.promises.length = 0;
        sgp.promises.push("17403");
        const other = await api("/customers/17403/unblock", { method: "POST" });
        const p = await body<Problem>(other);
        assert.equal(other.status, 409);
        assert.equal(p.reason, "not_blocked");
      },
    );

    await t.step("tickets: JSON to /chamado/, the one-item array answer, list and close", async () => {
      await (await api("/settings", { method: "PUT", json: { ticket_types: { technical: "7" } } })).body
        ?.cancel();
      const res = await api("/tickets", {
        method: "POST",
        json: {
          customer_id: "17402",
          type: "technical",
          description: "Sem sinal",
          contact_name: "Cliente",
          contact_phone: "+5585988887777",
        },
      });
      const tk = await body<{ id: string; protocol: string }>(res);
      assert.equal(res.status, 201, JSON.stringify(tk));
      const sent = sgp.calls("/api/ura/chamado/")[0];
      assert.equal(sent.headers["content-type"], "application/json");
      assert.deepEqual(sent.json, {
        token: SGP_TOKEN,
        app: SGP_APP,
        contrato: "17402",
        ocorrenciatipo: 7,
        conteudo: "Sem sinal",
        conteudolimpo: 1,
        contato_nome: "Cliente",
        contato_telefone: "85988887777",
      });
      assert.match(tk.protocol, /^2026120400\d+$/);
      const list = await body<{ data: { protocol: string; status: string }[] }>(
        await api("/tickets?customer_id=17402"),
      );
      assert.equal(list.data.length, 2);
      assert.ok(list.data.some((x) => x.protocol === tk.protocol));
      const upd = await ctx.request("/api/v1/erp/sgp/tickets/5501", {
        method: "PUT",
        token: owner.token,
        json: { message: "Resolvido", close: true },
      });
      assert.equal(upd.status, 200, await upd.text());
      assert.equal(sgp.calls("/api/central/chamado/update/5501/")[0].form!.get("ocorrencia_encerrar"), "1");
      const unknown = await ctx.request("/api/v1/erp/sgp/tickets/1", {
        method: "PUT",
        token: owner.token,
        json: { message: "x" },
      });
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    });

    await t.step("plans and a plan change through the service id from verificaacesso", async () => {
      const plans = await body<{ data: { id: string; download_mbps: number; price_cents: number }[] }>(
        await api("/plans"),
      );
      assert.deepEqual(plans.data.map((p) => [p.id, p.download_mbps, p.price_cents]), [["1", 100, 7990], [
        "2",
        300,
        9990,
      ]]);
      const res = await api("/customers/17403/change-plan", { method: "POST", json: { plan_id: "2" } });
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual(sgp.planChanges, [{ servico: "67403", plano: "2", action: "update" }]);
    });

    await t.step("a full sync is not possible on SGP: 501 saying to send documents", async () => {
      const res = await api("/sync", { method: "POST" });
      const p = await body<Problem>(res);
      assert.equal(res.status, 501);
      assert.match(p.detail, /documents/);
      const docs = await api("/sync", { method: "POST", json: { documents: ["52998224725"] } });
      const started = await body<{ id: string }>(docs);
      assert.equal(docs.status, 202);
      await ctx.services.runner!.drain();
      const done = await body<{ status: string; processed: number; created: number }>(
        await api(`/sync/${started.id}`),
      );
      assert.equal(done.status, "completed");
      assert.equal(done.created, 1, "two contracts, one phone: one contact");
    });

    await t.step("the token and app never reach the log", async () => {
      const text = JSON.stringify(await callLog(ctx, owner.tenantId, "sgp"));
      assert.ok(!text.includes(SGP_TOKEN));
    });
  } finally {
    await ctx.close();
    await sgp.close();
  }
});
