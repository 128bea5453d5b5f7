import { type ErpStandInBase, json, startErpStandIn } from "./erp-standin-server.ts";

/**
 * A local stand-in for HubSoft's integration API (shared/reference/isp-erps.md §4):
 * - `POST /oauth/token`, JSON password grant (client id/secret, user e-mail and password) →
 *   `{access_token, token_type: "Bearer", expires_in: 2592000, refresh_token}`; 401 otherwise;
 * - every `/api/v1/integracao/…` call needs `Authorization: Bearer`; `revokeTokens()` makes the
 *   issued ones answer 401 (an expired token);
 * - answers carry `status` (`success`, or the documented typo `suscess` on the unlock) and `msg`;
 *   "no customer" is `status: error` with an empty list; `busca` must be one of the documented
 *   search fields, `termo_busca` present;
 * - invoices' dates are DD/MM/YYYY, amounts numbers, `pix_copia_cola` on the invoice;
 *   `ultima_conexao` comes only with `ultima_conexao=sim`.
 *
 * Fixture: customer codigo_cliente 421 (CPF 111.444.777-35), service 11201 suspended for debt,
 * service 11202 enabled.
 */

export const HUBSOFT_CREDENTIALS = {
  client_id: "17",
  client_secret: "s3cr3t-0f-hubs0ft-client",
  username: "integracao@provedor.com.br",
  password: "Senha-Da-Integracao-1",
};

const BUSCAS = new Set([
  "cpf_cnpj",
  "codigo_cliente",
  "nome_razaosocial",
  "nome_fantasia",
  "telefone",
  "login_radius",
  "ipv4",
  "mac",
  "id_cliente_servico",
]);

const br = (offset: number) => {
  const d = new Date(Date.now() - 3 * 3_600_000 + offset * 86_400_000);
  return `${String(d.getUTCDate()).padStart(2, "0")}/${
    String(d.getUTCMonth() + 1).padStart(2, "0")
  }/${d.getUTCFullYear()}`;
};

export interface HubsoftStandIn extends ErpStandInBase {
  tokens: string[];
  revokeTokens(): void;
  unlocks: { id_cliente_servico: string; dias_desbloqueio: string }[];
  atendimentos: Record<string, unknown>[];
}

export async function startHubsoftStandIn(): Promise<HubsoftStandIn> {
  const tokens: string[] = [];
  const revoked = new Set<string>();
  const unlocks: HubsoftStandIn["unlocks"] = [];
  const atendimentos: Record<string, unknown>[] = [
    {
      id_atendimento: 300,
      protocolo: "201811161058216",
      tipo_atendimento: "SAC",
      status: "Aguardando Análise",
      descricao: "Lentidão",
      data_cadastro: "2026-11-28 09:00:00",
      id_cliente_servico: 11202,
    },
  ];
  const services = [
    {
      id_cliente_servico: 11201,
      numero_plano: 3,
      nome: "FIBRA 300M",
      valor: 99.9,
      status: "Suspenso por débito",
      status_prefixo: "servico_suspenso_debito",
      tecnologia: "FTTH",
      login: "guilherme.silva",
      ipv4: null,
      mac_addr: "70:AA:00:00:00:01",
      endereco_instalacao: {
        endereco: "Rua das Palmeiras",
        numero: "45",
        bairro: "Centro",
        cidade: { nome: "Uberlândia" },
        estado: { sigla: "MG" },
        cep: "38400-000",
      },
      ultima_conexao: {
        conectado: false,
        ultima_conexao_datetime: "2026-11-30 20:00:00",
        ultima_desconexao_datetime: "2026-12-01 00:00:02",
        ultimo_ipv4: "100.64.3.3",
        ultimo_nas_ip: "10.0.0.1",
        status_txt: "Desconectado (bloqueio)",
      },
    },
    {
      id_cliente_servico: 11202,
      numero_plano: 1,
      nome: "FIBRA 100M",
      valor: 79.9,
      status: "Habilitado",
      status_prefixo: "servico_habilitado",
      tecnologia: "FTTH",
      login: "guilherme.loja",
      ipv4: "177.10.10.10",
      mac_addr: "70:AA:00:00:00:02",
      ultima_conexao: {
        conectado: true,
        ultima_conexao_datetime: "2026-12-03 07:00:00",
        ultimo_ipv4: "177.10.10.10",
        ultimo_nas_ip: "10.0.0.1",
        status_txt: "Conectado",
      },
    },
  ];
  const customer = () => ({
    id_cliente: 11201,
    codigo_cliente: 421,
    nome_razaosocial: "GUILHERME SILVA",
    cpf_cnpj: "11144477735",
    tipo_pessoa: "pf",
    telefone_primario: "(34) 99123-4567",
    telefone_secundario: null,
    email_principal: "guilherme@example.com",
    alerta: true,
    alerta_mensagens: ["Manutenção programada no bairro Centro das 02h às 04h"],
    servicos: services,
  });
  const faturas = [
    {
      id_fatura: 36403,
      valor: 99.9,
      data_vencimento: br(-12),
      data_pagamento: null,
      tipo_cobranca: "boleto_bancario",
      nosso_numero: "123",
      linha_digitavel: "75691.31662 01006.726101 27210.000017 7 73380000001000",
      codigo_barras: "75697733800000010001316601006726102721000001",
      link: "https://hubsoft.example/pdf/fatura/TXpZME1ETT0=",
      pix_copia_cola:
        "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D",
      cliente: { servico: { id_cliente_servico: 11201 } },
    },
    {
      id_fatura: 36404,
      valor: 79.9,
      data_vencimento: br(8),
      data_pagamento: null,
      tipo_cobranca: "boleto_bancario",
      linha_digitavel: null,
      codigo_barras: null,
      link: "https://hubsoft.example/pdf/fatura/TXpZ",
      pix_copia_cola: null,
      cliente: { servico: { id_cliente_servico: 11202 } },
    },
    {
      id_fatura: 36300,
      valor: 99.9,
      data_vencimento: br(-42),
      data_pagamento: br(-43),
      tipo_cobranca: "boleto_bancario",
      linha_digitavel: null,
      link: null,
      cliente: { servico: { id_cliente_servico: 11201 } },
    },
  ];

  const base = await startErpStandIn((r) => {
    if (r.path === "/oauth/token" && r.method === "POST") {
      const b = (r.json ?? {}) as Record<string, string>;
      const c = HUBSOFT_CREDENTIALS;
      if (
        b.grant_type !== "password" || b.client_id !== c.client_id || b.client_secret !== c.client_secret ||
        b.username !== c.username || b.password !== c.password
      ) {
        return json(401, { error: "invalid_credentials", message: "The user credentials were incorrect." });
      }
      const token = `eyJ${crypto.randomUUID().replace(/-/g, "")}`;
      tokens.push(token);
      return json(200, {
        token_type: "Bearer",
        expires_in: 2592000,
        access_token: token,
        refresh_token: `def${crypto.randomUUID()}`,
      });
    }
    const bearer = /^Bearer (\S+)$/.exec(r.headers.authorization ?? "")?.[1];
    if (!bearer || !tokens.includes(bearer) || revoked.has(bearer)) {
      return json(401, { message: "Unauthenticated." });
    }
    const q = r.query;
    const b = (r.json ?? {}) as Record<string, unknown>;
    const found = () =>
      q.get("termo_busca") ===
        ({ cpf_cnpj: "11144477735", codigo_cliente: "421" } as Record<string, string>)[q.get("busca") ?? ""];
    switch (`${r.method} ${r.path}`) {
      case "GET /api/v1/integracao/cliente": {
        if (!BUSCAS.has(q.get("busca") ?? "") || !q.get("termo_busca")) {
          return json(422, { status: "error", msg: "O campo busca é obrigatório." });
        }
        if (!found()) return json(200, { status: "error", msg: "Nenhum cliente encontrado", clientes: [] });
        const c = customer();
        if (q.get("ultima_conexao") !== "sim") {
          c.servicos = c.servicos.map(({ ultima_conexao: _, ...s }) => s) as typeof services;
        }
        return json(200, { status: "success", msg: "Dados consultados com sucesso", clientes: [c] });
      }
      case "GET /api/v1/integracao/cliente/financeiro": {
        if (!found()) return json(200, { status: "error", msg: "Nenhum cliente encontrado", faturas: [] });
        const list = q.get("apenas_pendente") === "nao" ? faturas : faturas.filter((f) => !f.data_pagamento);
        return json(200, { status: "success", msg: "Dados consultados com sucesso", faturas: list });
      }
      case "POST /api/v1/integracao/cliente/desbloqueio_confianca": {
        const id = String(b.id_cliente_servico);
        const s = services.find((x) => String(x.id_cliente_servico) === id);
        if (!s) return json(200, { status: "error", msg: "Serviço não encontrado" });
        if (Number(b.dias_desbloqueio ?? 1) > 5) {
          return json(200, { status: "error", msg: "A quantidade de dias excede o máximo permitido (5)" });
        }
        if (unlocks.some((u) => u.id_cliente_servico === id)) {
          return json(200, { status: "error", msg: "O desbloqueio em confiança já foi utilizado neste mês" });
        }
        unlocks.push({ id_cliente_servico: id, dias_desbloqueio: String(b.dias_desbloqueio) });
        return json(200, {
          status: "suscess",
          msg: `Desbloqueio em confiança realizado com sucesso até a data ${
            br(Number(b.dias_desbloqueio ?? 1))
          }`,
        });
      }
      case "POST /api/v1/integracao/atendimento": {
        for (const f of ["id_cliente_servico", "descricao", "nome", "telefone"]) {
          if (!b[f]) return json(422, { status: "error", msg: `O campo ${f} é obrigatório.` });
        }
        if (!/^\d{10,11}$/.test(String(b.telefone))) {
          return json(422, { status: "error", msg: "O telefone deve estar no formato DDNNNNNNNNN." });
        }
        const a = {
          id_atendimento: 300 + atendimentos.length + 1,
          protocolo: `2026120410${atendimentos.length + 1}`,
          tipo_atendimento: "SAC",
          status: "Aguardando Análise",
          ordens_servico: [],
          descricao: b.descricao,
          id_cliente_servico: b.id_cliente_servico,
          parametros: b.parametros,
        };
        atendimentos.unshift(a);
        return json(200, {
          status: "success",
          msg: `Atendimento aberto com sucesso. Anote o protocolo: ${a.protocolo}.`,
          atendimento: a,
        });
      }
      case "GET /api/v1/integracao/cliente/atendimento": {
        if (!found()) {
          return json(200, { status: "error", msg: "Nenhum cliente encontrado", atendimentos: [] });
        }
        const list = q.get("apenas_pendente") === "sim"
          ? atendimentos.filter((a) => !/Fechado/.test(String(a.status)))
          : atendimentos;
        return json(200, { status: "success", msg: "Dados consultados com sucesso", atendimentos: list });
      }
      case "GET /api/v1/integracao/configuracao/servico":
        return json(200, {
          status: "success",
          msg: "Dados consultados com sucesso",
          servicos: [
            {
              id_servico: 1,
              descricao: "FIBRA 100M",
              valor: 79.9,
              velocidade_download: 102400,
              velocidade_upload: 51200,
              tecnologia: "FTTH",
            },
            {
              id_servico: 3,
              descricao: "FIBRA 300M",
              valor: 99.9,
              velocidade_download: 307200,
              velocidade_upload: 153600,
              tecnologia: "FTTH",
            },
          ],
        });
    }
    const upd = /^\/api\/v1\/integracao\/atendimento\/(\d+)$/.exec(r.path);
    if (upd && r.method === "PUT") {
      const a = atendimentos.find((x) => String(x.id_atendimento) === upd[1]);
      if (!a) return json(404, { status: "error", msg: "Atendimento não encontrado" });
      if (b.fechar_atendimento === true) a.status = "Fechado";
      return json(200, { status: "success", msg: "Atendimento atualizado com sucesso", atendimento: a });
    }
    return json(404, { message: "Not Found" });
  });
  return {
    ...base,
    tokens,
    unlocks,
    atendimentos,
    revokeTokens() {
      for (const t of tokens) revoked.add(t);
    },
  };
}
