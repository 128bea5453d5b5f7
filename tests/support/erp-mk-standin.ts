import { type ErpStandInBase, json, startErpStandIn } from "./erp-standin-server.ts";

/**
 * A local stand-in for MK Solutions' webservices (shared/reference/isp-erps.md §3):
 * `GET /mk/{Servico}.rule?sys=MK0&token=…`, everything in the query string.
 * - Two-step auth: `WSAutenticacao.rule` with the user token, the contra-senha and
 *   `cd_servico=9999` gives a session token (`Token`, or the older `tokenRetornoAutenticacao`
 *   with `legacyTokenField`); other services need it, and answer ERRO 999 once `expireSessions()`
 *   has run, or 001 for a token they never issued;
 * - errors are HTTP 200 `{"status":"ERRO","Mensagem":…,"Num. ERRO":…}`; ids are numbers in some
 *   answers and strings in others; names are HTML-entity encoded (`JO&Atilde;O`);
 * - `WSMKAutoDesbloqueio` answers the two refusals confirmed in production.
 *
 * Fixture: CPF 529.982.247-25 is person 12345 (with another registration, 12399, in `Outros`);
 * its connection 501 is blocked, 502 (of 12399) active.
 */

export const MK_USER_TOKEN = "a1b2c3d4e5f6a7b8c9d0";
export const MK_CONTRA_SENHA = "contra-senha-forte";

export interface MkStandIn extends ErpStandInBase {
  /** Sessions issued so far. */
  sessions: string[];
  /** Every issued session becomes invalid (MK's 999). */
  expireSessions(): void;
  unlocked: string[];
  comments: { cd_atendimento: string; comentario: string; tipo: string }[];
}

const day = (offset: number) => {
  const d = new Date(Date.now() - 3 * 3_600_000 + offset * 86_400_000);
  return `${String(d.getUTCDate()).padStart(2, "0")}/${
    String(d.getUTCMonth() + 1).padStart(2, "0")
  }/${d.getUTCFullYear()}`;
};

export async function startMkStandIn(opts: { legacyTokenField?: boolean } = {}): Promise<MkStandIn> {
  const sessions: string[] = [];
  const expired = new Set<string>();
  const unlocked: string[] = [];
  const comments: MkStandIn["comments"] = [];
  const usedThisMonth = new Set<string>();
  let seq = 0;

  const conexoes: Record<string, Record<string, unknown>[]> = {
    "12345": [{
      codconexao: 501,
      contrato: 9001,
      username: "joao.silva",
      mac_address: "70:AA:BB:00:00:01",
      bloqueada: "Sim",
      motivo_bloqueio: "Inadimpl&ecirc;ncia",
      esta_reduzida: "N&atilde;o",
      tecnologia: "Fibra &Oacute;ptica",
    }],
    "12399": [{
      codconexao: "502",
      contrato: "9002",
      username: "joao.loja",
      mac_address: "70:AA:BB:00:00:02",
      bloqueada: "N",
      motivo_bloqueio: "",
      esta_reduzida: "N",
      tecnologia: "Fibra",
    }],
  };

  const erro = (mensagem: string, num: string) =>
    json(200, { status: "ERRO", Mensagem: mensagem, "Num. ERRO": num });

  const base = await startErpStandIn((r) => {
    const m = /^\/mk\/(\w+)\.rule$/.exec(r.path);
    if (!m || r.method !== "GET") {
      return new Response("<html><body>HTTP Status 404</body></html>", {
        status: 404,
        headers: { "content-type": "text/html" },
      });
    }
    const q = r.query;
    if (q.get("sys") !== "MK0") return erro("Sistema inv&aacute;lido", "000");
    const service = m[1];
    if (service === "WSAutenticacao") {
      if (
        q.get("token") !== MK_USER_TOKEN || q.get("password") !== MK_CONTRA_SENHA ||
        q.get("cd_servico") !== "9999"
      ) {
        return erro("Token inv&aacute;lido", "001");
      }
      const token = `mks-${++seq}-${crypto.randomUUID().slice(0, 8)}`;
      sessions.push(token);
      const expire = new Date(Date.now() - 3 * 3_600_000 + 30 * 60_000);
      const fmt = `${String(expire.getUTCDate()).padStart(2, "0")}/${
        String(expire.getUTCMonth() + 1).padStart(2, "0")
      }/${expire.getUTCFullYear()} ${expire.toISOString().slice(11, 19)}`;
      return json(200, {
        [opts.legacyTokenField ? "tokenRetornoAutenticacao" : "Token"]: token,
        Expire: fmt,
        LimiteUso: 0,
        ServicosAutorizados: ["WSMKConsultaDoc", "WSMKFaturasPendentes"],
        status: "OK",
      });
    }
    const session = q.get("token") ?? "";
    if (expired.has(session)) return erro("Token n&atilde;o encontrado ou expirado", "999");
    if (!sessions.includes(session)) return erro("Token inv&aacute;lido", "001");

    switch (service) {
      case "WSMKConsultaDoc":
        if (q.get("doc") !== "52998224725") return erro("Documento n&atilde;o localizado", "003");
        return json(200, {
          CodigoPessoa: 12345,
          Nome: "JO&Atilde;O DA CONCEI&Ccedil;&Atilde;O",
          Email: "joao@example.com",
          Fone: "(11) 99999-9999",
          Endereco: "Rua S&atilde;o Bento, 10",
          CEP: "01011-000",
          Situacao: "Ativo",
          Outros: [{
            CodigoPessoa: "12399",
            Nome: "JO&Atilde;O DA CONCEI&Ccedil;&Atilde;O ME",
            Fone: "11988887777",
            Situacao: "Ativo",
          }],
          status: "OK",
        });
      case "WSMKContratosPorCliente": {
        const code = q.get("cd_cliente");
        const plan = code === "12345" ? "FIBRA 300 MEGA" : "FIBRA 100 MEGA";
        return json(200, {
          CodigoPessoa: code,
          Nome: "JO&Atilde;O",
          ContratosAtivos: [{
            codcontrato: code === "12345" ? 9001 : "9002",
            plano_acesso: plan,
            adesao: "01/01/2024",
            cd_empresa: 1,
          }],
          status: "OK",
        });
      }
      case "WSMKConexoesPorCliente": {
        const list = conexoes[q.get("cd_cliente") ?? ""];
        if (!list) return erro("Cliente n&atilde;o localizado", "003");
        return json(200, {
          CodigoPessoa: q.get("cd_cliente"),
          Nome: "JO&Atilde;O",
          Conexoes: list,
          status: "OK",
        });
      }
      case "WSMKFaturasPendentes":
        if (q.get("cd_cliente") !== "12345") return erro("Cliente n&atilde;o localizado", "003");
        return json(200, {
          CodigoPessoa: 12345,
          FaturasPendentes: [
            {
              codfatura: 7001,
              descricao: "Mensalidade Fibra 300",
              data_vencimento: day(-15),
              valor_total: "99,90",
              contratos: "9001",
            },
            {
              codfatura: "7002",
              descricao: "Mensalidade Fibra 300",
              data_vencimento: day(15),
              valor_total: 1234.5,
              contratos: "9001",
            },
          ],
          status: "OK",
        });
      case "WSMKSegundaViaCobranca":
        if (!["7001", "7002"].includes(q.get("cd_fatura") ?? "")) {
          return erro("Fatura n&atilde;o localizada", "003");
        }
        return json(200, {
          CodigoPessoa: 12345,
          Fatura: q.get("cd_fatura"),
          PathDownload: `https://mk.example/boleto/${q.get("cd_fatura")}.pdf`,
          Valor: "1.234,56",
          Vcto: day(2),
          status: "OK",
        });
      case "WSMKLDViaSMS":
        return json(200, {
          DadosFatura: [{
            ld: "75691316620100672610127210000017773380000001000",
            codfatura: q.get("cd_fatura"),
          }],
          status: "OK",
        });
      case "WSMKRetornarCopieColaPix":
        if (q.get("CodigoFatura") === "7002") {
          return json(200, { codigo_erro: "12", mensagem: "Conta sem PIX configurado", status: "ERRO" });
        }
        return json(200, {
          codpessoa: 12345,
          nome_razaosocial: "JO&Atilde;O",
          status_contrato: "Ativo",
          texto_qrcode:
            "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D",
        });
      case "WSMKAutoDesbloqueio": {
        const code = q.get("cd_conexao") ?? "";
        const conn = Object.values(conexoes).flat().find((c) => String(c.codconexao) === code);
        if (!conn || conn.bloqueada !== "Sim") {
          return json(200, {
            status: "ERRO",
            mensagem: "Status na conex&atilde;o incompat&iacute;vel para auto-desbloqueio.",
          });
        }
        if (usedThisMonth.has(code)) {
          return json(200, {
            status: "ERRO",
            mensagem: "Opera&ccedil;&atilde;o indispon&iacute;vel para esta conex&atilde;o.",
          });
        }
        usedThisMonth.add(code);
        unlocked.push(code);
        return json(200, { status: "OK", CodigoPessoa: 12345, Nome: "JO&Atilde;O", AcessoSAC: "S" });
      }
      case "WSMKNovoAtendimento":
        if (!q.get("cd_processo") || !q.get("cd_classificacao_ate") || !q.get("info")) {
          return erro("Par&acirc;metros obrigat&oacute;rios", "010");
        }
        return json(200, { CodigoAtendimento: 88001, Protocolo: "202612040088001", status: "OK" });
      case "WSMKAtendimentoComentario": {
        const comentario = q.get("comentario") ?? "";
        if (comentario.length > 300) return erro("Coment&aacute;rio maior que 300 caracteres", "020");
        comments.push({
          cd_atendimento: q.get("cd_atendimento") ?? "",
          comentario,
          tipo: q.get("tipo") ?? "",
        });
        return json(200, { status: "OK" });
      }
      case "WSMKListaPlanoAcesso":
        return json(200, {
          PlanosAcesso: [
            { codplano: 31, descricao: "FIBRA 300 MEGA", valor: "99,90", download: 300, upload: 150 },
            {
              codplano: "32",
              descricao: "R&Aacute;DIO 20 MEGA",
              valor: "69,90",
              download: "20",
              upload: "5",
            },
          ],
          status: "OK",
        });
      default:
        return erro("Servi&ccedil;o n&atilde;o autorizado", "005");
    }
  });
  return {
    ...base,
    sessions,
    unlocked,
    comments,
    expireSessions() {
      for (const s of sessions) expired.add(s);
    },
  };
}
