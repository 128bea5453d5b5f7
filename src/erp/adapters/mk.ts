import { sha256Hex } from "../../core/crypto.ts";
import { fail, ok, type Result } from "../../core/result.ts";
import { documentOf, type TaxDocument } from "../../core/br-documents.ts";
import type { ErpResponse } from "../erp-http.ts";
import type {
  CustomerStatus,
  ErpConnection,
  ErpConnectionStatus,
  ErpContract,
  ErpCustomer,
  ErpInvoice,
  ErpPlan,
  ErpPlanChange,
  ErpSegundaVia,
  ErpTicket,
  ErpUnlock,
} from "../model.ts";
import { worstStatus } from "../model.ts";
import type {
  CreateTicketInput,
  CustomerPage,
  ErpClient,
  InvoiceFilter,
  Operation,
  TestCheck,
  UpdateTicketInput,
} from "../port.ts";
import {
  type AdapterContext,
  asArray,
  asObject,
  cents,
  decodeEntities,
  encodeEntities,
  idOf,
  isoDate,
  isoDateTime,
  notBlocked,
  notSupported,
  num,
  phonesOf,
  pickContract,
  str,
  todayIn,
} from "./common.ts";

/**
 * MK Solutions (MK30) webservices (reference §3): `{host}/mk/{Servico}.rule?sys=MK0&token=…`,
 * everything in the query string, GET. Authentication is two steps: the user token and the
 * profile's contra-senha give a session token (`WSAutenticacao.rule`, `Token` or the older
 * `tokenRetornoAutenticacao`), kept sealed in KV until it expires and fetched again when MK says
 * it is invalid (001) or gone (999). Errors are HTTP 200 with `status: "ERRO"`; ids come as
 * numbers or strings; accented text HTML-entity encoded.
 *
 * Contract-level calls act on MK's connections (`codconexao`: the unlock takes it). MK's
 * general APIs have no live online flag (state is `unknown`, with blocked/reduced), list only
 * pending invoices, cannot list a customer's atendimentos, close one, change plans or list all
 * customers: those answer 501 with what to do instead.
 */

const yes = (v: unknown) => /^(s|sim|true|1)$/i.test(str(v) ?? "");

const text = (v: unknown): string | null => {
  const s = str(v);
  return s === null ? null : decodeEntities(s);
};

type Mk = Record<string, unknown>;

/** What this ERP has no call for, and what to do instead (answered as 501 `erp_unsupported`). */
export const MK_UNSUPPORTED: Partial<Record<Operation, string>> = {
  invoice_pdf: "MK gives the boleto's own link (PathDownload) in `pdf_url`.",
  tickets:
    "MK's general APIs cannot list a customer's atendimentos; look them up in MK, or keep the ids PyTake created.",
  change_plan:
    "MK has no reliable plan-change webservice; open a ticket of type `plan_change` (POST /erp/mk/tickets) for the provider's staff.",
  list_customers:
    "MK's general APIs cannot list every customer; sync with `documents` (the CPFs/CNPJs to bring in) instead.",
};

export class MkErp implements ErpClient {
  readonly type = "mk" as const;
  readonly unsupported = MK_UNSUPPORTED;

  constructor(private readonly ctx: AdapterContext) {}

  async #sessionKey() {
    return `erp:mk:session:${this.ctx.connectionId}:${
      (await sha256Hex(this.ctx.credentials.api_key ?? "")).slice(0, 16)
    }`;
  }

  /** The session token: from KV while it lives, else a fresh authentication. */
  async #session(fresh: boolean): Promise<Result<string>> {
    const { kv, secrets, clock } = this.ctx.services;
    const key = await this.#sessionKey();
    if (!fresh) {
      const sealed = await kv.get(key);
      if (sealed) {
        const token = await secrets.open<string>(sealed);
        this.ctx.http.secrets.push(token);
        return ok(token);
      }
    }
    const res = await this.ctx.http.call({
      operation: "authenticate",
      method: "GET",
      path: "/mk/WSAutenticacao.rule",
      query: {
        sys: "MK0",
        token: this.ctx.credentials.api_key ?? "",
        password: this.ctx.credentials.api_secret ?? "",
        cd_servico: 9999,
      },
      kind: "read",
    });
    if (!res.ok) return res as Result<never>;
    const body = asObject(res.value.body);
    const token = str(body.Token) ?? str(body.tokenRetornoAutenticacao);
    if (str(body.status) !== "OK" || !token) {
      const message = text(body.Mensagem) ?? text(body.mensagem) ??
        "MK refused the user token or the contra-senha";
      return res.value.fail("erp_error", `MK authentication failed: ${message}`, {
        extensions: { erp_message: message, erp_code: str(body["Num. ERRO"]) },
      });
    }
    this.ctx.http.secrets.push(token);
    const expires = isoDateTime(body.Expire);
    const ttl = expires ? Math.floor((Date.parse(expires) - clock.now().getTime()) / 1000) - 60 : 600;
    if (ttl > 30) await kv.set(key, await secrets.seal(token), { ttlSeconds: Math.min(ttl, 24 * 3600) });
    return ok(token);
  }

  /**
   * One webservice call. An answer saying the session token is invalid or expired (001, 999)
   * gets one fresh token and one more try: MK refused before doing anything, so even a write is
   * safe to send again.
   */
  async #get(
    operation: string,
    service: string,
    params: Record<string, string | number | undefined>,
    kind: "read" | "write",
  ): Promise<Result<{ body: Mk; res: ErpResponse }>> {
    for (let fresh = false;; fresh = true) {
      const session = await this.#session(fresh);
      if (!session.ok) return session as Result<never>;
      const res = await this.ctx.http.call({
        operation,
        method: "GET",
        path: `/mk/${service}.rule`,
        query: { sys: "MK0", token: session.value, ...params },
        kind,
      });
      if (!res.ok) return res as Result<never>;
      const r = res.value;
      if (r.status >= 400) {
        return r.fail("erp_error", `MK answered HTTP ${r.status}`, { extensions: { erp_status: r.status } });
      }
      const body = asObject(r.body);
      const code = str(body["Num. ERRO"]);
      if (str(body.status) === "ERRO" && (code === "001" || code === "999") && !fresh) {
        r.mark("erp_error", `session token refused (${code}); authenticating again`);
        continue;
      }
      return ok({ body, res: r });
    }
  }

  /** MK's error message, or null when the answer is not an error. */
  #error(body: Mk): string | null {
    if (str(body.status) !== "ERRO") return null;
    return text(body.Mensagem) ?? text(body.mensagem) ??
      `MK error ${str(body["Num. ERRO"]) ?? str(body.codigo_erro) ?? ""}`.trim();
  }

  #notLocated(body: Mk): boolean {
    return str(body["Num. ERRO"]) === "003" ||
      /n[ãa]o localizad|inexistente|n[ãa]o encontrad/i.test(this.#error(body) ?? "");
  }

  async test(): Promise<Result<TestCheck[]>> {
    const session = await this.#session(true);
    if (!session.ok) return session as Result<never>;
    return ok([{
      name: "authentication",
      ok: true,
      detail: "user token and contra-senha accepted; session token issued",
    }]);
  }

  async #connections(
    operation: string,
    cdCliente: string,
  ): Promise<Result<{ rows: Mk[]; res: ErpResponse }>> {
    const got = await this.#get(operation, "WSMKConexoesPorCliente", { cd_cliente: cdCliente }, "read");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    if (this.#notLocated(body)) return ok({ rows: [], res });
    const error = this.#error(body);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    return ok({ rows: asArray(body.Conexoes), res });
  }

  #connectionContract(c: Mk, plans: Map<string, string | null>): ErpContract {
    const status: CustomerStatus = yes(c.bloqueada) ? "blocked" : yes(c.esta_reduzida) ? "reduced" : "active";
    const contrato = idOf(c.contrato);
    return {
      // `codconexao` in current installs; older docs say CodigoConexao.
      id: str(c.codconexao) ?? str(c.CodigoConexao) ?? "",
      status,
      plan: {
        id: null,
        name: (contrato && plans.get(contrato)) ?? null,
        download_mbps: null,
        upload_mbps: null,
        price_cents: null,
      },
      login: str(c.username),
    };
  }

  async #registration(person: Mk): Promise<Result<ErpCustomer | null>> {
    const doc = documentOf(person.CpfCnpj ?? person.Documento ?? person.doc);
    const id = idOf(person.CodigoPessoa);
    if (!id) return ok(null);
    const [contracts, connections] = await Promise.all([
      this.#get("find_customers", "WSMKContratosPorCliente", { cd_cliente: id }, "read"),
      this.#connections("find_customers", id),
    ]);
    if (!contracts.ok) return contracts as Result<never>;
    if (!connections.ok) return connections as Result<never>;
    const active = asArray(contracts.value.body.ContratosAtivos);
    const plans = new Map(active.map((k) => [str(k.codcontrato) ?? "", text(k.plano_acesso)]));
    const fromConnections = connections.value.rows.map((c) => this.#connectionContract(c, plans));
    const list: ErpContract[] = fromConnections.length ? fromConnections : active.map((k) => ({
      id: str(k.codcontrato) ?? "",
      status: "active" as const,
      plan: {
        id: null,
        name: text(k.plano_acesso),
        download_mbps: null,
        upload_mbps: null,
        price_cents: null,
      },
      login: null,
    }));
    const inactive = /inativ/i.test(str(person.Situacao) ?? "");
    return ok({
      id,
      document: doc?.value ?? "",
      document_type: doc?.type ?? "cpf",
      name: text(person.Nome) ?? "",
      email: str(person.Email),
      phones: phonesOf([person.Fone, person.Celular]),
      address: {
        street: text(person.Endereco),
        number: str(person.Numero),
        complement: text(person.Complemento),
        district: text(person.Bairro),
        city: text(person.Cidade),
        state: str(person.UF),
        zip: str(person.CEP),
      },
      status: inactive ? "cancelled" : worstStatus(list.map((c) => c.status)),
      contracts: list,
      alerts: [],
    });
  }

  async findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>> {
    const got = await this.#get("find_customers", "WSMKConsultaDoc", { doc: document.value }, "read");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    if (this.#notLocated(body)) {
      res.mark("not_found", this.#error(body));
      return ok([]);
    }
    const error = this.#error(body);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    // The main registration, then the others under the same document (`Outros[]`).
    const people = [body, ...asArray(body.Outros)];
    const out: ErpCustomer[] = [];
    for (const person of people) {
      const c = await this.#registration({ CpfCnpj: document.value, ...person });
      if (!c.ok) return c as Result<never>;
      if (c.value && !out.some((o) => o.id === c.value!.id)) {
        out.push({ ...c.value, document: document.value, document_type: document.type });
      }
    }
    return ok(out);
  }

  async invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>> {
    if (filter !== "open") {
      return fail(
        "erp_unsupported",
        "MK's general APIs list pending invoices only (WSMKFaturasPendentes); ask for status=open",
      );
    }
    const got = await this.#get("invoices", "WSMKFaturasPendentes", { cd_cliente: customerId }, "read");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    if (this.#notLocated(body)) return res.fail("not_found", `No customer ${customerId} in MK`);
    const error = this.#error(body);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    const today = todayIn(this.ctx.services);
    return ok(
      asArray(body.FaturasPendentes).map((f) => {
        const due = isoDate(f.data_vencimento) ?? today;
        return {
          id: str(f.codfatura) ?? "",
          customer_id: customerId,
          contract_id: idOf(f.contratos),
          description: text(f.descricao),
          due_date: due,
          amount_cents: cents(f.valor_total) ?? 0,
          status: due < today ? "overdue" as const : "open" as const,
          paid_at: null,
          linha_digitavel: null,
          barcode: null,
          pix_copia_e_cola: null,
          pdf_url: null,
          payment_url: null,
        };
      }),
    );
  }

  async segundaVia(invoiceId: string): Promise<Result<ErpSegundaVia>> {
    const [via, line, pix] = await Promise.all([
      this.#get("segunda_via", "WSMKSegundaViaCobranca", { cd_fatura: invoiceId }, "read"),
      this.#get("segunda_via", "WSMKLDViaSMS", { cd_fatura: invoiceId }, "read"),
      this.#get("segunda_via", "WSMKRetornarCopieColaPix", { CodigoFatura: invoiceId }, "read"),
    ]);
    if (!via.ok) return via as Result<never>;
    const { body, res } = via.value;
    if (this.#notLocated(body)) return res.fail("not_found", `No invoice ${invoiceId} in MK`);
    const error = this.#error(body);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    let ld: string | null = null;
    if (line.ok) {
      const dados = asArray(line.value.body.DadosFatura)[0];
      ld = dados ? str(dados.ld) : null;
      if (!ld) line.value.res.mark("refused", this.#error(line.value.body) ?? "no linha digitável");
    }
    let code: string | null = null;
    if (pix.ok) {
      code = this.#error(pix.value.body) ? null : str(pix.value.body.texto_qrcode);
      // An account without PIX answers ERRO: the boleto still works.
      if (!code) pix.value.res.mark("refused", this.#error(pix.value.body) ?? "no PIX for this invoice");
    }
    const today = todayIn(this.ctx.services);
    const due = isoDate(body.Vcto) ?? today;
    return ok({
      invoice_id: str(body.Fatura) ?? invoiceId,
      customer_id: idOf(body.CodigoPessoa),
      due_date: due,
      // The updated amount ("1.234,56").
      amount_cents: cents(body.Valor) ?? 0,
      status: due < today ? "overdue" : "open",
      linha_digitavel: ld,
      barcode: null,
      pix_copia_e_cola: code,
      pdf_url: str(body.PathDownload),
      payment_url: null,
    });
  }

  invoicePdf(): Promise<Result<Uint8Array>> {
    return notSupported(this, "invoice_pdf");
  }

  async connectionStatus(
    customerId: string,
    opts: { contractId?: string },
  ): Promise<Result<ErpConnectionStatus>> {
    const got = await this.#connections("connection_status", customerId);
    if (!got.ok) return got as Result<never>;
    let rows = got.value.rows;
    if (rows.length === 0) {
      return got.value.res.fail("not_found", `No connections for customer ${customerId} in MK`);
    }
    if (opts.contractId) {
      rows = rows.filter((c) => (str(c.codconexao) ?? str(c.CodigoConexao)) === opts.contractId);
    }
    const connections: ErpConnection[] = rows.map((c) => ({
      contract_id: str(c.codconexao) ?? str(c.CodigoConexao),
      login: str(c.username),
      // MK's general APIs say blocked or reduced, never whether the session is up right now.
      state: "unknown",
      since: null,
      ip: null,
      mac: str(c.mac_address),
      last_authentication_at: null,
      equipment: text(c.tecnologia),
      blocked: yes(c.bloqueada),
      reduced: yes(c.esta_reduzida),
      detail: text(c.motivo_bloqueio),
    }));
    return ok({ customer_id: customerId, connections, source: "none" });
  }

  async unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>> {
    const got = await this.#connections("unblock", customerId);
    if (!got.ok) return got as Result<never>;
    if (got.value.rows.length === 0) {
      return fail("not_found", `No connections for customer ${customerId} in MK`);
    }
    const picked = pickContract(
      customerId,
      got.value.rows.map((c) => this.#connectionContract(c, new Map())),
      opts.contractId,
      "unlock",
      (c) => c.status === "blocked",
      () => notBlocked(customerId),
    );
    if (!picked.ok) return picked as Result<never>;
    const done = await this.#get("unblock", "WSMKAutoDesbloqueio", {
      cd_conexao: picked.value.id,
      diasexcecao: opts.days,
    }, "write");
    if (!done.ok) return done as Result<never>;
    const { body, res } = done.value;
    if (str(body.status) === "OK") {
      return ok({
        customer_id: customerId,
        contract_id: picked.value.id,
        until: null,
        protocol: null,
        message: null,
      });
    }
    // Both refusals confirmed against production (reference §3.5).
    const message = this.#error(body) ?? "MK refused the auto-desbloqueio";
    const reason = /incompat/i.test(message)
      ? "not_blocked"
      : /indispon/i.test(message)
      ? "already_used"
      : "refused";
    return res.fail("erp_refused", message, { extensions: { reason, erp_message: message } });
  }

  async createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>> {
    const classification = this.ctx.settings.ticket_types[input.type];
    const process = this.ctx.settings.ticket_defaults.process_id;
    if (!classification || !process) {
      const path = !process ? "settings.ticket_defaults.process_id" : `settings.ticket_types.${input.type}`;
      return fail(
        "validation_failed",
        `MK needs cd_processo and cd_classificacao_ate for \`${input.type}\` tickets: set ${path}`,
        {
          errors: [{ path, message: "MK's id for this" }],
        },
      );
    }
    const got = await this.#get("create_ticket", "WSMKNovoAtendimento", {
      cd_cliente: input.customerId,
      cd_processo: process,
      cd_classificacao_ate: classification,
      origem_contato: this.ctx.settings.ticket_defaults.origin ?? 9,
      info: input.subject ? `${input.subject}: ${input.description}` : input.description,
      ...(input.contractId ? { conexao_associada: input.contractId } : {}),
    }, "write");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body);
    if (error) {
      return res.fail(this.#notLocated(body) ? "not_found" : "erp_error", error, {
        extensions: { erp_message: error },
      });
    }
    const id = str(body.CodigoAtendimento);
    if (!id) return res.fail("erp_error", "MK accepted the atendimento but gave no code");
    return ok({
      id,
      protocol: str(body.Protocolo),
      customer_id: input.customerId,
      contract_id: input.contractId ?? null,
      type: input.type,
      subject: input.subject ?? null,
      status: "open",
      messages: [{ at: null, author: input.contactName ?? null, text: input.description }],
      created_at: null,
      updated_at: null,
    });
  }

  tickets(): Promise<Result<ErpTicket[]>> {
    return notSupported(this, "tickets");
  }

  async updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    if (input.close) {
      return fail(
        "erp_unsupported",
        "MK's general APIs cannot close an atendimento; add a message, and close it in MK",
      );
    }
    // varchar(300) after entity encoding (reference §3.6): cut to fit, encoded.
    let comment = encodeEntities(input.message ?? "");
    while (comment.length > 300) comment = encodeEntities([...decodeEntities(comment)].slice(0, -1).join(""));
    const got = await this.#get("update_ticket", "WSMKAtendimentoComentario", {
      cd_atendimento: ticketId,
      comentario: comment,
      tipo: 2,
    }, "write");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body);
    if (error) {
      return res.fail(this.#notLocated(body) ? "not_found" : "erp_error", error, {
        extensions: { erp_message: error },
      });
    }
    return ok({
      id: ticketId,
      protocol: null,
      customer_id: input.customerId ?? null,
      contract_id: null,
      type: null,
      subject: null,
      status: "in_progress",
      messages: [{ at: null, author: "PyTake", text: input.message ?? "" }],
      created_at: null,
      updated_at: null,
    });
  }

  async plans(): Promise<Result<ErpPlan[]>> {
    const got = await this.#get("plans", "WSMKListaPlanoAcesso", {}, "read");
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    // [weak] in the reference: the list is read from the first array in the answer.
    const list = asArray(Object.values(body).find(Array.isArray));
    return ok(
      list.map((p) => ({
        id: str(p.codplano) ?? str(p.CodigoPlano) ?? str(p.cd_plano) ?? str(p.codigo) ?? "",
        name: text(p.descricao) ?? text(p.Descricao) ?? text(p.nome) ?? "",
        download_mbps: num(p.download) ?? num(p.velocidade_download),
        upload_mbps: num(p.upload) ?? num(p.velocidade_upload),
        price_cents: cents(p.valor ?? p.Valor),
        technology: text(p.tecnologia),
        active: !/^(n|nao|não|false|0)$/i.test(str(p.ativo) ?? ""),
      })).filter((p) => p.id),
    );
  }

  changePlan(): Promise<Result<ErpPlanChange>> {
    return notSupported(this, "change_plan");
  }

  listCustomers(): Promise<Result<CustomerPage>> {
    return notSupported(this, "list_customers");
  }
}
