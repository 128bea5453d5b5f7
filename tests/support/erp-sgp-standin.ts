import { type ErpRecordedRequest, type ErpStandInBase, json, startErpStandIn } from "./erp-standin-server.ts";

/**
 * A local stand-in for SGP's URA API (shared/reference/isp-erps.md §2):
 * - `token` and `app` in the form body of every POST and the query of GETs; the app name is
 *   compared case-sensitively; a wrong pair is HTTP 401 `{"detail": …}`;
 * - POSTs are form-urlencoded and refused otherwise, except `/api/ura/chamado/`, which takes JSON
 *   only (its classifications are an array) and answers a one-item array;
 * - Python's None leaks as the string "None"; `telefones` mixes strings and `{tipoContato, contato}`;
 * - `titulos` comes in arbitrary order with cancelled ones mixed in; `fatura2via` has `status: 0`
 *   and no links when nothing is open, and an empty `codigopix` for one boleto (then
 *   `/api/ura/pagamento/pix/{id}/`);
 * - `liberacaopromessa` names the PPPoE login in its `msg` and refuses a second promise in a month.
 *
 * Fixture: CPF 529.982.247-25 has two contracts: 17402 (suspended for debt) and 17403 (active).
 */

export const SGP_TOKEN = "8f2a1c3e-5b7d-4e9f-a0b1-c2d3e4f5a6b7";
export const SGP_APP = "PyTakeBot";
export const SGP_PIX =
  "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

const day = (offset: number) =>
  new Date(Date.now() - 3 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);

export interface SgpStandIn extends ErpStandInBase {
  promises: string[];
  planChanges: { servico: string; plano: string; action: string }[];
}

export async function startSgpStandIn(): Promise<SgpStandIn> {
  const promises: string[] = [];
  const planChanges: SgpStandIn["planChanges"] = [];
  const contracts: Record<string, Record<string, unknown>> = {
    "17402": {
      contratoId: 17402,
      clienteId: 16957,
      cpfCnpj: "529.982.247-25",
      razaoSocial: "CLIENTE EXEMPLO",
      contratoStatus: 4,
      contratoStatusDisplay: "Suspenso",
      motivo_status: "Inadimplência",
      contratoTitulosAReceber: 2,
      contratoValorAberto: 179.8,
      servico_plano: "FIBRA 300MB",
      servico_login: "cliente.exemplo",
      servico_mac: "None",
      endereco_logradouro: "Rua A",
      endereco_numero: "10",
      endereco_complemento: "None",
      endereco_bairro: "Centro",
      endereco_cidade: "Fortaleza",
      endereco_uf: "CE",
      endereco_cep: "60000-000",
      telefones: ["(85) 98888-7777", { tipoContato: "Celular", contato: "85 99999-0000" }],
      emails: [{ tipoContato: "Email", contato: "cliente@example.com" }],
      promessasPagamentoMes: 0,
    },
    "17403": {
      contratoId: 17403,
      clienteId: 16957,
      cpfCnpj: "529.982.247-25",
      razaoSocial: "CLIENTE EXEMPLO",
      contratoStatus: 1,
      contratoStatusDisplay: "Ativo",
      contratoTitulosAReceber: 0,
      contratoValorAberto: 0,
      servico_plano: "FIBRA 100MB",
      servico_login: "cliente.casa2",
      endereco_logradouro: "Rua B",
      endereco_numero: "None",
      endereco_bairro: "Aldeota",
      endereco_cidade: "Fortaleza",
      endereco_uf: "CE",
      endereco_cep: "60150-000",
      telefones: ["85988887777"],
      emails: [],
    },
  };
  const titulos: Record<string, Record<string, unknown>[]> = {
    "17402": [
      {
        id: 998,
        numero_documento: "1998",
        valor: 89.9,
        valorcorrigido: 91.5,
        vencimento: day(-40),
        status: "Aberto",
        statusid: 1,
        data_pagamento: "None",
        linhadigitavel: "75691316620100672610127210000017773380000001000",
        codigopix: SGP_PIX,
        link: "https://sgp.example/boleto/998",
      },
      {
        id: 1001,
        numero_documento: "2001",
        valor: 89.9,
        valorcorrigido: 89.9,
        vencimento: day(5),
        status: "Aberto",
        statusid: 1,
        data_pagamento: "None",
        linhadigitavel: "34191091233456781234156789012301216560000011990",
        codigopix: "",
        link: "https://sgp.example/boleto/1001",
      },
      {
        id: 990,
        numero_documento: "1990",
        valor: 89.9,
        vencimento: day(-70),
        status: "Pago",
        statusid: 2,
        data_pagamento: day(-71),
        linhadigitavel: "",
        codigopix: "",
        link: "",
      },
      {
        id: 991,
        numero_documento: "1991",
        valor: 89.9,
        vencimento: day(-100),
        status: "Cancelado",
        statusid: 3,
        data_pagamento: "None",
        linhadigitavel: "",
        codigopix: "",
        link: "",
      },
    ],
    "17403": [],
  };
  const ocorrencias: Record<string, unknown>[] = [
    {
      id: 5501,
      protocolo: "2026112900123",
      contrato: 17402,
      tipo: "Suporte técnico",
      status: 0,
      conteudo: "Sem conexão",
      data_cadastro: "2026-11-29 14:00:00",
    },
  ];
  let protocolSeq = 124;

  const authorized = (r: ErpRecordedRequest) => {
    const p = r.method === "GET" ? r.query : r.form ?? new URLSearchParams(
      r.json && typeof r.json === "object"
        ? Object.entries(r.json as Record<string, string>).map(([k, v]) => [k, String(v)])
        : [],
    );
    return p.get("token") === SGP_TOKEN && p.get("app") === SGP_APP;
  };

  const base = await startErpStandIn((r) => {
    const isChamado = r.path === "/api/ura/chamado/";
    if (r.method === "POST") {
      if (isChamado && !r.headers["content-type"]?.includes("json")) {
        return json(400, { detail: "JSON expected" });
      }
      if (!isChamado && !r.form) return json(400, { detail: "form data expected" });
    }
    if (!authorized(r)) return json(401, { detail: "Token ou aplicação inválidos" });
    const f = r.form ?? new URLSearchParams();
    const contrato = f.get("contrato") ?? "";
    switch (true) {
      case r.path === "/api/ura/consultaplano/":
        return json(200, {
          planos: [{ id: 1, descricao: "FIBRA 100MB", valor: "79.90", download: "100M", upload: "50M" }, {
            id: 2,
            descricao: "FIBRA 300MB",
            valor: "99.90",
            download: "300M",
            upload: "150M",
          }],
        });
      case r.path === "/api/ura/consultacliente/": {
        const found = Object.values(contracts).filter((c) =>
          String(c.cpfCnpj).replace(/\D/g, "") === f.get("cpfcnpj")
        );
        return json(
          200,
          found.length
            ? { msg: "Contrato(s) Localizado(s)", contratos: found }
            : { msg: "Nenhum contrato localizado", contratos: [] },
        );
      }
      case r.path === "/api/ura/titulos/": {
        let list = titulos[contrato] ?? [];
        if (f.get("status") === "abertos") list = list.filter((t) => t.status === "Aberto");
        if (f.get("status") === "pagos") list = list.filter((t) => t.status === "Pago");
        // Arbitrary order, as SGP sends them.
        return json(200, { titulos: [...list].reverse() });
      }
      case r.path === "/api/ura/fatura2via/": {
        const open = (titulos[contrato] ?? []).filter((t) => t.status === "Aberto");
        if (!open.length) return json(200, { status: 0, links: [] });
        return json(200, {
          status: 1,
          links: open.map((t) => ({
            id: String(t.id),
            fatura: String(t.numero_documento),
            vencimento: day(3),
            valor: t.valorcorrigido ?? t.valor,
            linhadigitavel: t.linhadigitavel,
            codigopix: t.codigopix,
            link: `${t.link}.pdf`,
          })),
        });
      }
      case r.path.startsWith("/api/ura/pagamento/pix/"):
        return json(200, { status: 1, msg: "Dados do Pix", pix: SGP_PIX });
      case r.path === "/api/ura/verificaacesso/": {
        const c = contracts[contrato];
        if (!c) return json(200, { status: 0, msg: "Contrato não encontrado" });
        const online = c.contratoStatus === 1;
        return json(200, {
          status: online ? 1 : 2,
          msg: online ? "Serviço Online" : `Serviço Offline - login ${c.servico_login} suspenso`,
          contratoId: c.contratoId,
          cpfCnpj: c.cpfCnpj,
          razaoSocial: c.razaoSocial,
          login: c.servico_login,
          servico_id: Number(c.contratoId) + 50000,
        });
      }
      case r.path === "/api/ura/liberacaopromessa/": {
        const c = contracts[contrato];
        if (!c) return json(200, { status: 0, liberado: false, msg: "Contrato não encontrado" });
        if (c.contratoStatus !== 4) {
          return json(200, { status: 1, liberado: false, msg: "Contrato não está suspenso" });
        }
        if (promises.includes(contrato)) {
          return json(200, {
            status: 1,
            liberado: false,
            msg: `Limite de promessas excedido para o login ${c.servico_login}`,
          });
        }
        promises.push(contrato);
        c.contratoStatus = 1;
        return json(200, {
          status: 1,
          liberado: true,
          liberado_dias: 3,
          data_promessa: f.get("data_promessa") ?? day(3),
          protocolo: "2026120400077",
          contratoId: c.contratoId,
          razaoSocial: c.razaoSocial,
          cpfCnpj: c.cpfCnpj,
          msg: `Liberado login ${c.servico_login} até ${f.get("data_promessa")}`,
        });
      }
      case isChamado: {
        const b = r.json as Record<string, unknown>;
        if (!contracts[String(b.contrato)]) return json(200, [{ status: 0, msg: "Contrato não encontrado" }]);
        const protocolo = `2026120400${protocolSeq++}`;
        ocorrencias.unshift({
          id: 5500 + protocolSeq,
          protocolo,
          contrato: Number(b.contrato),
          tipo: "Suporte técnico",
          status: 0,
          conteudo: b.conteudo,
          data_cadastro: "2026-12-04 10:00:00",
        });
        return json(200, [{
          status: 1,
          protocolo,
          contratoId: Number(b.contrato),
          razaoSocial: "CLIENTE EXEMPLO",
        }]);
      }
      case r.path === "/api/ura/ocorrencia/list/":
        return json(200, { ocorrencias: ocorrencias.filter((o) => String(o.contrato) === contrato) });
      case r.path.startsWith("/api/central/chamado/update/"): {
        const id = r.path.split("/").at(-2);
        const o = ocorrencias.find((x) => String(x.id) === id);
        if (!o) return json(404, { detail: "Não encontrado" });
        if (f.get("ocorrencia_encerrar") === "1") o.status = 1;
        return json(200, { status: 1, msg: "Chamado atualizado", protocolo: o.protocolo });
      }
      case r.path.startsWith("/api/suporte/service/update/"): {
        planChanges.push({
          servico: r.path.split("/").at(-2)!,
          plano: f.get("plano_id") ?? "",
          action: f.get("action") ?? "",
        });
        return json(200, { status: 1, msg: "Serviço atualizado" });
      }
      default:
        return json(404, { detail: "Not found." });
    }
  });
  return { ...base, promises, planChanges };
}
