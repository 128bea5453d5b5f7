import { fail, ok, type Result } from "../../core/result.ts";
import { documentOf, formatDocument, type TaxDocument } from "../../core/br-documents.ts";
import type { ErpRequest, ErpResponse } from "../erp-http.ts";
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
  TicketStatus,
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
  idOf,
  isoDate,
  isoDateTime,
  notBlocked,
  notSupported,
  phonesOf,
  pickContract,
  str,
  todayIn,
} from "./common.ts";

/**
 * IXCSoft (IXC Provedor), webservice v1 (reference §1): `{host}/webservice/v1/{tabela}`, HTTP
 * Basic with the token `id:hash` base64-encoded whole. Listings are POSTs with the header
 * `ixcsoft: listar` and a grid body (`qtype` prefixed with the table, `query`, `oper`, `page`,
 * `rp`, optional JSON-encoded `grid_param`); numbers come back as strings and errors as HTTP 200
 * with `type: "error"` (or, from `desbloqueio_confianca`, Portuguese `tipo`/`mensagem`/`codigo`).
 *
 * Customer id: `cliente.id`; contracts are `cliente_contrato` rows. IXC has no plan-change call
 * (a ticket instead) and no public boleto link: `get_boleto` gives the PDF's bytes, which we
 * serve through a signed link of our own.
 */

/** `status_internet` of a contract (reference §1.1). */
function contractStatus(c: Record<string, unknown>): CustomerStatus {
  const status = str(c.status);
  if (status === "I" || status === "D") return "cancelled";
  const internet = str(c.status_internet);
  if (internet === "CM" || internet === "CA" || internet === "FA") return "blocked";
  if (internet === "D") return "cancelled";
  return "active";
}

const ticketStatus: Record<string, TicketStatus> = {
  N: "open",
  P: "pending",
  EP: "in_progress",
  S: "resolved",
  C: "cancelled",
};

/** What this ERP has no call for, and what to do instead (answered as 501 `erp_unsupported`). */
export const IXC_UNSUPPORTED: Partial<Record<Operation, string>> = {
  change_plan:
    "IXC has no plan-change call; open a ticket of type `plan_change` (POST /erp/ixc/tickets) and the provider's staff apply it.",
};

export class IxcErp implements ErpClient {
  readonly type = "ixc" as const;
  readonly unsupported = IXC_UNSUPPORTED;
  readonly #auth: string;

  constructor(private readonly ctx: AdapterContext) {
    const { api_key = "", api_secret } = ctx.credentials;
    const token = api_key.includes(":") || !api_secret ? api_key : `${api_key}:${api_secret}`;
    this.#auth = `Basic ${btoa(token)}`;
  }

  #call(req: Omit<ErpRequest, "headers" | "path"> & { table: string; headers?: Record<string, string> }) {
    return this.ctx.http.call({
      ...req,
      path: `/webservice/v1/${req.table}`,
      headers: { authorization: this.#auth, ...req.headers },
    });
  }

  /** A grid listing; every failure of IXC's (401, 404 for a missing header, type=error) is an `erp_error`. */
  async #list(
    operation: string,
    table: string,
    grid: {
      qtype: string;
      query: string;
      oper?: string;
      page?: number;
      rp?: number;
      sortname?: string;
      sortorder?: string;
    },
    gridParam?: { TB: string; OP: string; P: string }[],
  ): Promise<Result<{ rows: Record<string, unknown>[]; total: number; res: ErpResponse }>> {
    const res = await this.#call({
      operation,
      table,
      method: "POST",
      kind: "read",
      headers: { ixcsoft: "listar" },
      json: {
        qtype: grid.qtype,
        query: grid.query,
        oper: grid.oper ?? "=",
        page: String(grid.page ?? 1),
        rp: String(grid.rp ?? 100),
        sortname: grid.sortname ?? `${table}.id`,
        sortorder: grid.sortorder ?? "asc",
        ...(gridParam ? { grid_param: JSON.stringify(gridParam) } : {}),
      },
    });
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    const problem = this.#problem(r);
    if (problem) {
      return r.fail("erp_error", problem, { extensions: { erp_message: problem, erp_status: r.status } });
    }
    const body = asObject(r.body);
    return ok({ rows: asArray(body.registros), total: Number(str(body.total) ?? 0), res: r });
  }

  #problem(r: ErpResponse): string | null {
    if (r.status === 401) return "IXC refused the token (401): check it is `id:hash` of an active user";
    if (r.status === 404) {
      return "IXC answered 404 (a listing without the `ixcsoft: listar` header, or a wrong URL)";
    }
    if (r.status >= 400) return `IXC answered HTTP ${r.status}`;
    const body = asObject(r.body);
    if (str(body.type) === "error") return str(body.message) ?? "IXC answered an error";
    return null;
  }

  async test(): Promise<Result<TestCheck[]>> {
    const listed = await this.#list("test", "cliente", { qtype: "cliente.id", query: "0", oper: ">", rp: 1 });
    if (!listed.ok) return listed as Result<never>;
    return ok([{ name: "webservice", ok: true, detail: `token accepted; ${listed.value.total} customers` }]);
  }

  async #contracts(customerIds: string[]): Promise<Result<Record<string, unknown>[]>> {
    const listed = await this.#list("contracts", "cliente_contrato", {
      qtype: "cliente_contrato.id_cliente",
      query: customerIds.join(","),
      oper: customerIds.length > 1 ? "IN" : "=",
      rp: 1000,
    });
    return listed.ok ? ok(listed.value.rows) : listed as Result<never>;
  }

  #contract(c: Record<string, unknown>): ErpContract {
    return {
      id: str(c.id)!,
      status: contractStatus(c),
      plan: {
        id: idOf(c.id_vd_contrato),
        name: str(c.contrato),
        download_mbps: null,
        upload_mbps: null,
        price_cents: null,
      },
      login: null,
    };
  }

  #customer(row: Record<string, unknown>, contracts: Record<string, unknown>[]): ErpCustomer | null {
    const doc = documentOf(row.cnpj_cpf);
    if (!doc) return null;
    const own = contracts.filter((c) => str(c.id_cliente) === str(row.id)).map((c) => this.#contract(c));
    return {
      id: str(row.id)!,
      document: doc.value,
      document_type: doc.type,
      name: str(row.razao) ?? "",
      email: str(row.email),
      phones: phonesOf([row.whatsapp, row.telefone_celular, row.fone]),
      address: {
        street: str(row.endereco),
        number: str(row.numero),
        complement: str(row.complemento),
        district: str(row.bairro),
        // IXC keeps an internal city id here, not a name.
        city: null,
        state: null,
        zip: str(row.cep),
      },
      status: str(row.ativo) === "N" ? "cancelled" : worstStatus(own.map((c) => c.status)),
      contracts: own,
      alerts: [],
    };
  }

  async findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>> {
    // IXC keeps the document as typed in its screens (masked); older rows have digits only.
    let rows: Record<string, unknown>[] = [];
    for (const query of [formatDocument(document), document.value]) {
      const listed = await this.#list("find_customers", "cliente", {
        qtype: "cliente.cnpj_cpf",
        query,
        rp: 20,
      });
      if (!listed.ok) return listed as Result<never>;
      rows = listed.value.rows;
      if (rows.length) break;
      listed.value.res.mark("not_found");
    }
    if (rows.length === 0) return ok([]);
    const contracts = await this.#contracts(rows.map((r) => str(r.id)!));
    if (!contracts.ok) return contracts as Result<never>;
    return ok(
      rows.map((r) => this.#customer(r, contracts.value)).filter((c): c is ErpCustomer => c !== null),
    );
  }

  #invoice(r: Record<string, unknown>, today: string): ErpInvoice {
    const due = isoDate(r.data_vencimento) ?? today;
    const st = str(r.status);
    const status = st === "R" ? "paid" : st === "C" ? "cancelled" : due < today ? "overdue" : "open";
    return {
      id: str(r.id)!,
      customer_id: str(r.id_cliente) ?? "",
      contract_id: idOf(r.id_contrato),
      description: str(r.obs) ?? str(r.documento),
      due_date: due,
      amount_cents: cents(r.valor) ?? 0,
      status,
      paid_at: isoDateTime(r.pagamento_data) ??
        (isoDate(r.pagamento_data) ? `${isoDate(r.pagamento_data)}T12:00:00.000Z` : null),
      linha_digitavel: str(r.linha_digitavel),
      barcode: null,
      pix_copia_e_cola: null,
      pdf_url: null,
      payment_url: str(r.gateway_link),
    };
  }

  async invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>> {
    const gridParam = filter === "open"
      ? [{ TB: "fn_areceber.liberado", OP: "=", P: "S" }, { TB: "fn_areceber.status", OP: "=", P: "A" }]
      : filter === "paid"
      ? [{ TB: "fn_areceber.status", OP: "=", P: "R" }]
      : [{ TB: "fn_areceber.status", OP: "!=", P: "C" }];
    const listed = await this.#list("invoices", "fn_areceber", {
      qtype: "fn_areceber.id_cliente",
      query: customerId,
      rp: 200,
      sortname: "fn_areceber.data_vencimento",
      sortorder: "asc",
    }, gridParam);
    if (!listed.ok) return listed as Result<never>;
    const today = todayIn(this.ctx.services);
    return ok(listed.value.rows.map((r) => this.#invoice(r, today)));
  }

  async #receivable(invoiceId: string): Promise<Result<Record<string, unknown> | null>> {
    const listed = await this.#list("segunda_via", "fn_areceber", {
      qtype: "fn_areceber.id",
      query: invoiceId,
      rp: 1,
    });
    if (!listed.ok) return listed as Result<never>;
    if (!listed.value.rows[0]) listed.value.res.mark("not_found");
    return ok(listed.value.rows[0] ?? null);
  }

  /** `get_boleto` as a file, base64-encoded (IXC answers the file itself, not JSON). */
  async #boleto(operation: string, invoiceId: string): Promise<Result<Uint8Array>> {
    const res = await this.#call({
      operation,
      table: "get_boleto",
      method: "POST",
      kind: "read",
      expect: "bytes",
      json: {
        boletos: invoiceId,
        juro: "N",
        multa: "N",
        atualiza_boleto: "N",
        tipo_boleto: "arquivo",
        base64: "S",
      },
    });
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    const problem = this.#problem({ ...r, body: safeJson(r.text) });
    if (problem) return r.fail("erp_error", problem, { extensions: { erp_message: problem } });
    const pdf = pdfBytes(r.bytes, r.text);
    if (!pdf) {
      return r.fail("erp_error", "IXC's get_boleto answered something that is not a PDF", {
        extensions: { erp_message: null },
      });
    }
    return ok(pdf);
  }

  async segundaVia(invoiceId: string, opts: { customerId?: string }): Promise<Result<ErpSegundaVia>> {
    let found = await this.#receivable(invoiceId);
    if (!found.ok) return found as Result<never>;
    let row = found.value;
    if (!row || (opts.customerId && str(row.id_cliente) !== opts.customerId)) {
      return fail("not_found", `No invoice ${invoiceId} in IXC`);
    }
    const today = todayIn(this.ctx.services);
    let invoice = this.#invoice(row, today);
    if (invoice.status === "paid" || invoice.status === "cancelled") {
      return fail(
        "erp_refused",
        `Invoice ${invoiceId} is ${invoice.status === "paid" ? "already paid" : "cancelled"}`,
        {
          extensions: { reason: invoice.status },
        },
      );
    }
    // A boleto never printed may have no line yet: get_boleto registers it (reference §1.2).
    if (!invoice.linha_digitavel && str(row.impresso) !== "S") {
      const printed = await this.#boleto("segunda_via", invoiceId);
      if (!printed.ok) return printed as Result<never>;
      found = await this.#receivable(invoiceId);
      if (!found.ok) return found as Result<never>;
      row = found.value ?? row;
      invoice = this.#invoice(row, today);
    }
    const pix = await this.#call({
      operation: "segunda_via",
      table: "get_pix",
      method: "POST",
      kind: "read",
      json: { id_areceber: invoiceId },
    });
    if (!pix.ok && pix.failure.code !== "erp_error") return pix as Result<never>;
    let code: string | null = null;
    if (pix.ok) {
      const body = asObject(pix.value.body);
      if (str(body.type) === "success") {
        const p = asObject(body.pix);
        const dados = asObject(p.dadosPix);
        code = str(dados.status) === "ATIVA" && str(dados.pixCopiaECola)
          ? str(dados.pixCopiaECola)
          : str(asObject(p.qrCode).qrcode);
      } else {
        // PIX not enabled for this invoice: the boleto still works.
        pix.value.mark("refused", str(body.message) ?? "no PIX for this invoice");
      }
    }
    return ok({
      invoice_id: invoice.id,
      customer_id: invoice.customer_id,
      due_date: invoice.due_date,
      amount_cents: invoice.amount_cents,
      status: invoice.status,
      linha_digitavel: invoice.linha_digitavel,
      barcode: null,
      pix_copia_e_cola: code,
      pdf_url: null,
      payment_url: invoice.payment_url,
    });
  }

  async invoicePdf(invoiceId: string, opts: { customerId?: string }): Promise<Result<Uint8Array>> {
    if (opts.customerId) {
      const found = await this.#receivable(invoiceId);
      if (!found.ok) return found as Result<never>;
      if (!found.value || str(found.value.id_cliente) !== opts.customerId) {
        return fail("not_found", `No invoice ${invoiceId} in IXC`);
      }
    }
    return await this.#boleto("invoice_pdf", invoiceId);
  }

  async connectionStatus(
    customerId: string,
    opts: { contractId?: string },
  ): Promise<Result<ErpConnectionStatus>> {
    const [logins, contracts] = await Promise.all([
      this.#list("connection_status", "radusuarios", {
        qtype: "radusuarios.id_cliente",
        query: customerId,
        rp: 50,
      }),
      this.#contracts([customerId]),
    ]);
    if (!logins.ok) return logins as Result<never>;
    if (!contracts.ok) return contracts as Result<never>;
    if (logins.value.rows.length === 0 && contracts.value.length === 0) {
      logins.value.res.mark("not_found");
      return fail("not_found", `No customer ${customerId} in IXC (no logins and no contracts)`);
    }
    const statusOf = new Map(contracts.value.map((c) => [str(c.id), contractStatus(c)]));
    let rows = logins.value.rows;
    if (opts.contractId) rows = rows.filter((r) => str(r.id_contrato) === opts.contractId);
    const connections: ErpConnection[] = rows.map((r) => {
      const online = str(r.online);
      const state = online === "S" ? "online" : online === "N" ? "offline" : "unknown";
      const status = statusOf.get(str(r.id_contrato));
      return {
        contract_id: idOf(r.id_contrato),
        login: str(r.login),
        state,
        since: state === "online"
          ? isoDateTime(r.ultima_conexao_inicial)
          : isoDateTime(r.ultima_conexao_final) ?? isoDateTime(r.ultima_conexao_inicial),
        ip: state === "online" ? str(r.ip) : null,
        mac: str(r.mac) ?? str(r.onu_mac),
        last_authentication_at: isoDateTime(r.ultima_conexao_inicial),
        equipment: str(r.concentrador),
        blocked: status ? status === "blocked" : str(r.ativo) === "N" ? true : null,
        reduced: null,
        detail: state === "offline" ? str(r.motivo_desconexao) : null,
      };
    });
    return ok({ customer_id: customerId, connections, source: "live" as const });
  }

  async unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>> {
    const contracts = await this.#contracts([customerId]);
    if (!contracts.ok) return contracts as Result<never>;
    if (contracts.value.length === 0) return fail("not_found", `No customer ${customerId} in IXC`);
    const picked = pickContract(
      customerId,
      contracts.value.map((c) => this.#contract(c)),
      opts.contractId,
      "unlock",
      (c) => c.status === "blocked",
      () => notBlocked(customerId),
    );
    if (!picked.ok) return picked as Result<never>;
    const res = await this.#call({
      operation: "unblock",
      table: "desbloqueio_confianca",
      method: "POST",
      kind: "write",
      json: { id: picked.value.id },
    });
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    const body = asObject(r.body);
    const message = str(body.mensagem) ?? str(body.message);
    if (r.status >= 400) return r.fail("erp_error", this.#problem(r) ?? `IXC answered HTTP ${r.status}`);
    if (str(body.tipo) === "sucesso" || str(body.type) === "success") {
      return ok({
        customer_id: customerId,
        contract_id: picked.value.id,
        until: null,
        protocol: null,
        message,
      });
    }
    // Codes from goixc's form_desbloqueio_confianca.go (reference §1.5).
    const code = str(body.codigo);
    const reason = code === "107"
      ? "not_blocked"
      : code === "113"
      ? "already_used"
      : code === "109"
      ? "inactive"
      : code === "106"
      ? "not_found"
      : "refused";
    if (reason === "not_found") {
      return r.fail("not_found", message ?? `Contract ${picked.value.id} does not exist in IXC`);
    }
    return r.fail("erp_refused", message ?? "IXC refused the trust unlock", {
      extensions: { reason, erp_code: code, erp_message: message },
    });
  }

  #ticket(t: Record<string, unknown>): ErpTicket {
    return {
      id: str(t.id)!,
      protocol: str(t.protocolo),
      customer_id: idOf(t.id_cliente),
      contract_id: idOf(t.id_contrato),
      type: null,
      subject: str(t.titulo),
      status: ticketStatus[str(t.su_status) ?? ""] ?? "open",
      messages: str(t.menssagem)
        ? [{ at: isoDateTime(t.data_criacao), author: null, text: str(t.menssagem)! }]
        : [],
      created_at: isoDateTime(t.data_criacao),
      updated_at: isoDateTime(t.ultima_atualizacao) ?? isoDateTime(t.data_criacao),
    };
  }

  async #ticketById(operation: string, id: string): Promise<Result<Record<string, unknown> | null>> {
    const listed = await this.#list(operation, "su_ticket", { qtype: "su_ticket.id", query: id, rp: 1 });
    if (!listed.ok) return listed as Result<never>;
    return ok(listed.value.rows[0] ?? null);
  }

  async createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>> {
    const subject = this.ctx.settings.ticket_types[input.type];
    if (!subject) {
      return fail(
        "validation_failed",
        `IXC needs the assunto id of \`${input.type}\` tickets: set settings.ticket_types.${input.type}`,
        {
          errors: [{
            path: `settings.ticket_types.${input.type}`,
            message: "IXC's id_assunto for this type",
          }],
        },
      );
    }
    const d = this.ctx.settings.ticket_defaults;
    const res = await this.#call({
      operation: "create_ticket",
      table: "su_ticket",
      method: "POST",
      kind: "write",
      json: {
        tipo: "C",
        id_cliente: input.customerId,
        id_contrato: input.contractId ?? "",
        id_assunto: subject,
        titulo: input.subject ?? input.description.slice(0, 60),
        // Sic: IXC's field has a double "s".
        menssagem: input.description,
        id_ticket_setor: d.department_id ?? "",
        id_filial: d.branch_id ?? "",
        prioridade: "M",
        su_status: "N",
        origem_endereco: "CC",
      },
    });
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    const id = str(asObject(res.value.body).id);
    if (!id) return res.value.fail("erp_error", "IXC accepted the ticket but gave no id");
    // The protocol number is on the stored ticket; reading it back is safe (a read), and optional.
    const stored = await this.#ticketById("create_ticket", id);
    const t = stored.ok && stored.value ? this.#ticket(stored.value) : null;
    return ok({
      id,
      protocol: t?.protocol ?? null,
      customer_id: input.customerId,
      contract_id: input.contractId ?? null,
      type: input.type,
      subject: input.subject ?? t?.subject ?? null,
      status: t?.status ?? "open",
      messages: [{ at: t?.created_at ?? null, author: input.contactName ?? null, text: input.description }],
      created_at: t?.created_at ?? null,
      updated_at: t?.updated_at ?? null,
    });
  }

  async tickets(
    customerId: string,
    opts: { status?: TicketStatus | "open_any" },
  ): Promise<Result<ErpTicket[]>> {
    const listed = await this.#list("tickets", "su_ticket", {
      qtype: "su_ticket.id_cliente",
      query: customerId,
      rp: 100,
      sortorder: "desc",
    });
    if (!listed.ok) return listed as Result<never>;
    const open = new Set<TicketStatus>(["open", "pending", "in_progress"]);
    return ok(
      listed.value.rows.map((t) => this.#ticket(t)).filter((t) =>
        !opts.status || (opts.status === "open_any" ? open.has(t.status) : t.status === opts.status)
      ),
    );
  }

  async updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    const found = await this.#ticketById("update_ticket", ticketId);
    if (!found.ok) return found as Result<never>;
    if (!found.value || (input.customerId && str(found.value.id_cliente) !== input.customerId)) {
      return fail("not_found", `No ticket ${ticketId} in IXC`);
    }
    const current = this.#ticket(found.value);
    if (current.status === "resolved" || current.status === "cancelled") {
      return fail("erp_refused", `Ticket ${ticketId} is ${current.status}; open a new one`, {
        extensions: { reason: "ticket_closed" },
      });
    }
    const status = input.close
      ? "S"
      : (str(found.value.su_status) ?? "N") === "N"
      ? "EP"
      : str(found.value.su_status)!;
    const res = await this.#call({
      operation: "update_ticket",
      table: "su_mensagens",
      method: "POST",
      kind: "write",
      json: { id_ticket: ticketId, mensagem: input.message ?? "Atendimento encerrado.", su_status: status },
    });
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    return ok({
      ...current,
      status: ticketStatus[status] ?? current.status,
      messages: [
        ...current.messages,
        ...(input.message ? [{ at: null, author: "PyTake", text: input.message }] : []),
      ],
    });
  }

  async plans(): Promise<Result<ErpPlan[]>> {
    const listed = await this.#list("plans", "vd_contratos", {
      qtype: "vd_contratos.id",
      query: "0",
      oper: ">",
      rp: 500,
    });
    if (!listed.ok) return listed as Result<never>;
    return ok(listed.value.rows.map((p) => ({
      id: str(p.id)!,
      name: str(p.nome) ?? str(p.descricao) ?? `Plano ${str(p.id)}`,
      download_mbps: null,
      upload_mbps: null,
      price_cents: cents(p.valor_contrato),
      technology: null,
      active: (str(p.Ativo) ?? str(p.ativo) ?? "S") === "S",
    })));
  }

  changePlan(): Promise<Result<ErpPlanChange>> {
    return notSupported(this, "change_plan");
  }

  async listCustomers(cursor: string | null): Promise<Result<CustomerPage>> {
    const page = Number(cursor ?? "1");
    const listed = await this.#list("list_customers", "cliente", {
      qtype: "cliente.id",
      query: "0",
      oper: ">",
      page,
      rp: 100,
    });
    if (!listed.ok) return listed as Result<never>;
    const rows = listed.value.rows;
    if (rows.length === 0) return ok({ customers: [], next: null, total: listed.value.total });
    const ids = rows.map((r) => str(r.id)!);
    const today = todayIn(this.ctx.services);
    const [contracts, late] = await Promise.all([
      this.#contracts(ids),
      this.#list("list_customers", "fn_areceber", {
        qtype: "fn_areceber.id_cliente",
        query: ids.join(","),
        oper: "IN",
        rp: 1000,
      }, [
        { TB: "fn_areceber.status", OP: "=", P: "A" },
        { TB: "fn_areceber.data_vencimento", OP: "<", P: today },
      ]),
    ]);
    if (!contracts.ok) return contracts as Result<never>;
    if (!late.ok) return late as Result<never>;
    const overdue = new Set(late.value.rows.map((r) => str(r.id_cliente)));
    const customers = rows.map((r) => this.#customer(r, contracts.value)).filter((c): c is ErpCustomer =>
      c !== null
    )
      .map((c) => ({ ...c, overdue: overdue.has(c.id) }));
    const seen = (page - 1) * 100 + rows.length;
    return ok({
      customers,
      next: seen < listed.value.total ? String(page + 1) : null,
      total: listed.value.total,
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The PDF in `get_boleto`'s answer: raw bytes, or base64 text of them (with `base64: "S"`). */
function pdfBytes(bytes: Uint8Array, text: string): Uint8Array | null {
  const isPdf = (b: Uint8Array) => b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46;
  if (isPdf(bytes)) return bytes;
  const b64 = text.trim().replace(/^"|"$/g, "").replace(/^data:application\/pdf;base64,/, "").replace(
    /\s/g,
    "",
  );
  if (!/^[A-Za-z0-9+/=]+$/.test(b64)) return null;
  try {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return isPdf(raw) ? raw : null;
  } catch {
    return null;
  }
}
