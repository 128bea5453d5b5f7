import { type ErpStandInBase, json, startErpStandIn } from "./erp-standin-server.ts";

/**
 * A local stand-in for IXCSoft's webservice v1 (shared/reference/isp-erps.md §1), strict where
 * IXC is strict:
 * - HTTP Basic with base64("id:hash") of the configured token, else 401;
 * - listings need the header `ixcsoft: listar` (404 without it, as documented) and a `qtype`
 *   prefixed with the table (500 without it); `oper` =, !=, >, <, >=, <=, L, IN; `grid_param` is
 *   a JSON-encoded array of `{TB, OP, P}`; answers `{page, total, registros}` with every number
 *   as a string, and no `registros` at all when nothing matches (seen in the wild);
 * - `cliente.cnpj_cpf` stored masked for most customers and digits-only for one (integrations
 *   try both);
 * - `get_boleto` answers the PDF's base64 as text/html, not JSON; `get_pix` `type: error` for
 *   an invoice without PIX; `desbloqueio_confianca` answers in Portuguese (`tipo`, `mensagem`,
 *   `codigo` 106/107/109/113) and blocks a second use; `su_ticket` requires `menssagem` (sic).
 *
 * Fixture (ids as IXC would give them): customer 1 João (blocked for debt, unlock available),
 * 2 Maria (two active contracts, digits-only CPF), 3 a company (blocked, unlock already used).
 */

export const IXC_TOKEN = "27:6f1e0b3c9a5d4e2f8b7c6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f";

const day = (offset: number) =>
  new Date(Date.now() - 3 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);

export const IXC_LINES = {
  overdue: "75691316620100672610127210000017773380000001000",
  open: "34191091233456781234156789012301216560000011990",
};
export const IXC_PIX =
  "00020126360014br.gov.bcb.pix0114123456780001955204000053039865406119.905802BR5920FIBRA RAPIDA TELECOM6008CAMPINAS62130509FAT12345663044DB1";
/** A minimal PDF, what get_boleto encodes. */
export const IXC_PDF = "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

type Row = Record<string, string>;

function fixture(): Record<string, Row[]> {
  return {
    cliente: [
      {
        id: "1",
        razao: "João Silva",
        cnpj_cpf: "529.982.247-25",
        tipo_pessoa: "F",
        ativo: "S",
        email: "joao@example.com.br",
        telefone_celular: "(19) 99876-5432",
        whatsapp: "",
        fone: "",
        endereco: "Rua das Flores",
        numero: "100",
        complemento: "",
        bairro: "Centro",
        cidade: "3509502",
        cep: "13010-000",
      },
      {
        id: "2",
        razao: "Maria Oliveira",
        cnpj_cpf: "11144477735",
        tipo_pessoa: "F",
        ativo: "S",
        email: "",
        telefone_celular: "19988887777",
        whatsapp: "5519988887777",
        fone: "",
        endereco: "Av. Brasil",
        numero: "2000",
        complemento: "Apto 12",
        bairro: "Guanabara",
        cidade: "3509502",
        cep: "13073-000",
      },
      {
        id: "3",
        razao: "Padaria Pão Quente Ltda",
        cnpj_cpf: "11.222.333/0001-81",
        tipo_pessoa: "J",
        ativo: "S",
        email: "contato@paoquente.com.br",
        telefone_celular: "19977776666",
        whatsapp: "",
        fone: "1932221111",
        endereco: "Rua Conceição",
        numero: "5",
        complemento: "",
        bairro: "Centro",
        cidade: "3509502",
        cep: "13010-050",
      },
    ],
    cliente_contrato: [
      {
        id: "10",
        id_cliente: "1",
        id_vd_contrato: "7",
        contrato: "FIBRA 300 MEGA",
        status: "A",
        status_internet: "FA",
        desbloqueio_confianca: "N",
        desbloqueio_confianca_ativo: "N",
        data_ativacao: "2024-03-10",
      },
      {
        id: "20",
        id_cliente: "2",
        id_vd_contrato: "8",
        contrato: "FIBRA 500 MEGA",
        status: "A",
        status_internet: "A",
        desbloqueio_confianca: "N",
        desbloqueio_confianca_ativo: "N",
        data_ativacao: "2023-01-02",
      },
      {
        id: "21",
        id_cliente: "2",
        id_vd_contrato: "7",
        contrato: "FIBRA 300 MEGA",
        status: "A",
        status_internet: "A",
        desbloqueio_confianca: "N",
        desbloqueio_confianca_ativo: "N",
        data_ativacao: "2025-06-15",
      },
      {
        id: "30",
        id_cliente: "3",
        id_vd_contrato: "9",
        contrato: "EMPRESARIAL 600",
        status: "A",
        status_internet: "CA",
        desbloqueio_confianca: "S",
        desbloqueio_confianca_ativo: "N",
        data_ativacao: "2022-08-01",
      },
    ],
    fn_areceber: [
      receivable("100", "1", "10", day(-20), "99.90", "A", "S", IXC_LINES.overdue, "S"),
      receivable("101", "1", "10", day(10), "99.90", "A", "S", "", "N"),
      receivable("102", "1", "10", day(-50), "99.90", "R", "S", IXC_LINES.overdue, "S", day(-52)),
      receivable("103", "1", "10", day(-80), "99.90", "C", "S", "", "S"),
      receivable("200", "2", "20", day(5), "119.90", "A", "S", IXC_LINES.open, "S"),
    ],
    radusuarios: [
      {
        id: "501",
        id_cliente: "1",
        id_contrato: "10",
        login: "joao.silva",
        ativo: "S",
        online: "N",
        ip: "",
        mac: "70:AA:BB:CC:DD:01",
        onu_mac: "",
        concentrador: "BRAS-CENTRO",
        ultima_conexao_inicial: "2026-11-30 08:15:00",
        ultima_conexao_final: "2026-12-01 00:00:05",
        tempo_conectado: "0",
        motivo_desconexao: "Bloqueio financeiro",
      },
      {
        id: "502",
        id_cliente: "2",
        id_contrato: "20",
        login: "maria.oliveira",
        ativo: "S",
        online: "S",
        ip: "100.64.10.20",
        mac: "70:AA:BB:CC:DD:02",
        onu_mac: "",
        concentrador: "BRAS-NORTE",
        ultima_conexao_inicial: "2026-12-02 07:00:00",
        ultima_conexao_final: "",
        tempo_conectado: "3600",
        motivo_desconexao: "",
      },
      {
        id: "503",
        id_cliente: "2",
        id_contrato: "21",
        login: "maria.casa2",
        ativo: "S",
        online: "SS",
        ip: "",
        mac: "",
        onu_mac: "70:AA:BB:CC:DD:03",
        concentrador: "BRAS-NORTE",
        ultima_conexao_inicial: "",
        ultima_conexao_final: "",
        tempo_conectado: "0",
        motivo_desconexao: "",
      },
    ],
    su_ticket: [
      {
        id: "900",
        id_cliente: "2",
        id_contrato: "20",
        protocolo: "202611300001",
        titulo: "Lentidão",
        menssagem: "Internet lenta à noite",
        su_status: "EP",
        data_criacao: "2026-11-30 10:00:00",
        ultima_atualizacao: "2026-11-30 12:00:00",
      },
    ],
    vd_contratos: [
      { id: "7", nome: "FIBRA 300 MEGA", valor_contrato: "99.90", Ativo: "S" },
      { id: "8", nome: "FIBRA 500 MEGA", valor_contrato: "119.90", Ativo: "S" },
      { id: "9", nome: "EMPRESARIAL 600", valor_contrato: "249.90", Ativo: "N" },
    ],
  };
}

function receivable(
  id: string,
  cliente: string,
  contrato: string,
  due: string,
  valor: string,
  status: string,
  liberado: string,
  linha: string,
  impresso: string,
  paid = "",
): Row {
  return {
    id,
    id_cliente: cliente,
    id_contrato: contrato,
    valor,
    data_emissao: "2026-10-01",
    data_vencimento: due,
    status,
    liberado,
    linha_digitavel: linha,
    nn_boleto: `0000${id}`,
    impresso,
    gateway_link: "",
    documento: `Fatura ${id}`,
    obs: "",
    pagamento_data: paid,
  };
}

const LISTED = new Set([
  "cliente",
  "cliente_contrato",
  "fn_areceber",
  "radusuarios",
  "su_ticket",
  "vd_contratos",
]);

function matches(value: string | undefined, oper: string, query: string): boolean {
  const v = value ?? "";
  const num = (s: string) => (s !== "" && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN);
  const cmp = !Number.isNaN(num(v)) && !Number.isNaN(num(query))
    ? num(v) - num(query)
    : v.localeCompare(query);
  switch (oper) {
    case "=":
      return v === query;
    case "!=":
      return v !== query;
    case ">":
      return cmp > 0;
    case "<":
      return cmp < 0;
    case ">=":
      return cmp >= 0;
    case "<=":
      return cmp <= 0;
    case "L":
      return v.toLowerCase().includes(query.toLowerCase());
    case "IN":
      return query.split(",").map((x) => x.trim()).includes(v);
    default:
      return false;
  }
}

export interface IxcStandIn extends ErpStandInBase {
  tables: Record<string, Row[]>;
}

export async function startIxcStandIn(opts: { token?: string } = {}): Promise<IxcStandIn> {
  const token = opts.token ?? IXC_TOKEN;
  const tables = fixture();
  let nextTicket = 901;

  const base = await startErpStandIn((req) => {
    if (req.headers.authorization !== `Basic ${btoa(token)}`) {
      return new Response("Unauthorized", { status: 401, headers: { "content-type": "text/plain" } });
    }
    const m = /^\/webservice\/v1\/([a-z_0-9]+)$/.exec(req.path);
    if (!m) return new Response("Not Found", { status: 404 });
    const table = m[1];
    const body = (req.json ?? {}) as Record<string, unknown>;

    if (req.headers.ixcsoft === "listar") {
      if (!LISTED.has(table)) return new Response("Not Found", { status: 404 });
      const qtype = String(body.qtype ?? "");
      if (!qtype.startsWith(`${table}.`)) {
        return new Response("<b>Fatal error</b>: Unknown column", {
          status: 500,
          headers: { "content-type": "text/html" },
        });
      }
      let rows = tables[table].filter((r) =>
        matches(r[qtype.slice(table.length + 1)], String(body.oper ?? "="), String(body.query ?? ""))
      );
      if (body.grid_param) {
        for (const g of JSON.parse(String(body.grid_param)) as { TB: string; OP: string; P: string }[]) {
          rows = rows.filter((r) => matches(r[g.TB.split(".")[1]], g.OP, g.P));
        }
      }
      const sort = String(body.sortname ?? `${table}.id`).split(".")[1];
      rows = [...rows].sort((a, b) => {
        const c = (Number(a[sort]) || 0) - (Number(b[sort]) || 0) ||
          String(a[sort]).localeCompare(String(b[sort]));
        return body.sortorder === "desc" ? -c : c;
      });
      const page = Number(body.page ?? 1);
      const rp = Number(body.rp ?? 20);
      const slice = rows.slice((page - 1) * rp, page * rp);
      // Numbers are strings; with nothing found IXC leaves `registros` out.
      return json(
        200,
        rows.length ? { page: String(page), total: String(rows.length), registros: slice } : {
          page: String(page),
          total: 0,
        },
        "text/html; charset=UTF-8",
      );
    }

    if (req.method !== "POST") return new Response("Not Found", { status: 404 });
    switch (table) {
      case "get_boleto": {
        const inv = tables.fn_areceber.find((r) => r.id === String(body.boletos));
        if (!inv) return json(200, { type: "error", message: "Boleto não encontrado" });
        // Printing registers the boleto: its line exists from now on.
        inv.impresso = "S";
        if (!inv.linha_digitavel) inv.linha_digitavel = IXC_LINES.open;
        return new Response(body.base64 === "S" ? btoa(IXC_PDF) : IXC_PDF, {
          status: 200,
          headers: { "content-type": body.base64 === "S" ? "text/html" : "application/pdf" },
        });
      }
      case "get_pix": {
        const inv = tables.fn_areceber.find((r) => r.id === String(body.id_areceber));
        if (!inv || inv.id === "101") {
          return json(200, { type: "error", message: "PIX não habilitado para este boleto" });
        }
        return json(200, {
          type: "success",
          pix: { qrCode: { qrcode: IXC_PIX, imagemQrcode: "iVBORw0KGgo=" } },
        });
      }
      case "desbloqueio_confianca": {
        const c = tables.cliente_contrato.find((r) => r.id === String(body.id));
        if (!c) return json(200, { tipo: "erro", mensagem: "Contrato não existe", codigo: "106" });
        if (c.status !== "A") return json(200, { tipo: "erro", mensagem: "Contrato inativo", codigo: "109" });
        if (c.status_internet === "A") {
          return json(200, { tipo: "erro", mensagem: "Contrato já está ativo", codigo: "107" });
        }
        if (c.desbloqueio_confianca === "S") {
          return json(200, {
            tipo: "erro",
            mensagem:
              "Desbloqueio de confiança já utilizado, será liberado após o pagamento do próximo vencimento",
            codigo: "113",
          });
        }
        c.status_internet = "A";
        c.desbloqueio_confianca = "S";
        c.desbloqueio_confianca_ativo = "S";
        return json(200, {
          tipo: "sucesso",
          mensagem: "Desbloqueio de confiança efetuado com sucesso",
          codigo: "0",
        });
      }
      case "su_ticket": {
        for (const f of ["tipo", "id_cliente", "id_assunto", "menssagem"]) {
          if (!body[f]) return json(200, { type: "error", message: `Campo ${f} obrigatório!` });
        }
        if (!tables.cliente.some((r) => r.id === String(body.id_cliente))) {
          return json(200, { type: "error", message: "Cliente não encontrado" });
        }
        const id = String(nextTicket++);
        tables.su_ticket.push({
          id,
          id_cliente: String(body.id_cliente),
          id_contrato: String(body.id_contrato ?? ""),
          protocolo: `20261204${id.padStart(4, "0")}`,
          titulo: String(body.titulo ?? ""),
          menssagem: String(body.menssagem),
          su_status: String(body.su_status ?? "N"),
          data_criacao: "2026-12-04 09:30:00",
          ultima_atualizacao: "2026-12-04 09:30:00",
        });
        return json(200, { type: "success", message: "Registro inserido com sucesso!", id });
      }
      case "su_mensagens": {
        const t = tables.su_ticket.find((r) => r.id === String(body.id_ticket));
        if (!t) return json(200, { type: "error", message: "Atendimento não encontrado" });
        if (!body.mensagem) return json(200, { type: "error", message: "Campo mensagem obrigatório!" });
        t.su_status = String(body.su_status ?? t.su_status);
        return json(200, { type: "success", message: "Mensagem inserida", id: String(Date.now() % 100000) });
      }
      default:
        return new Response("Not Found", { status: 404 });
    }
  });
  return { ...base, tables };
}
