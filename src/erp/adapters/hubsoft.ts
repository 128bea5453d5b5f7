import { sha256Hex } from "../../core/crypto.ts";
import { fail, ok, type Result } from "../../core/result.ts";
import { documentOf, type TaxDocument } from "../../core/br-documents.ts";
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
  num,
  phonesOf,
  pickContract,
  str,
  todayIn,
} from "./common.ts";

/**
 * HubSoft, `/api/v1/integracao/...` (reference §4): OAuth2 password grant at `/oauth/token`
 * (client id and secret from HubSoft, a user's e-mail and password), then `Authorization:
 * Bearer`. The token lives 30 days; it is kept sealed in KV and asked for again on a 401 (one
 * more try: a 401 means nothing was done). Answers carry `status` (`success`, sometimes the
 * typo `suscess`, or `error`) and `msg`.
 *
 * Customer id: `codigo_cliente` (what `busca` accepts; `id_cliente` is not searchable);
 * contracts are its `servicos[]` (`id_cliente_servico`, what the unlock and tickets take).
 * Connection state is the last RADIUS accounting, not a live probe. No plan change, no listing
 * of every customer: 501 with what to do instead.
 */

const ok200 = (body: Record<string, unknown>) => {
  const s = str(body.status);
  return s === "success" || s === "suscess";
};

function serviceStatus(s: Record<string, unknown>): CustomerStatus {
  const prefix = (str(s.status_prefixo) ?? str(s.status) ?? "").toLowerCase();
  if (/cancel/.test(prefix)) return "cancelled";
  if (/reduz|parcial/.test(prefix)) return "reduced";
  if (/suspens|bloque|inadimpl/.test(prefix)) return "blocked";
  return "active";
}

function ticketStatus(v: unknown): TicketStatus {
  const s = (str(v) ?? "").toLowerCase();
  if (/fechad|finaliz|conclu|encerr/.test(s)) return "closed";
  if (/cancel/.test(s)) return "cancelled";
  if (/andamento|execu|atendimento/.test(s)) return "in_progress";
  if (/aguard|pend|anál|anal/.test(s)) return "pending";
  return "open";
}

/** What this ERP has no call for, and what to do instead (answered as 501 `erp_unsupported`). */
export const HUBSOFT_UNSUPPORTED: Partial<Record<Operation, string>> = {
  invoice_pdf: "HubSoft gives the boleto's own link in `pdf_url`.",
  change_plan:
    "HubSoft's integration API has no plan change; open a ticket of type `plan_change` (POST /erp/hubsoft/tickets) with the provider's \"mudança de plano\" atendimento type.",
  list_customers:
    "HubSoft's customer search needs a term; sync with `documents` (the CPFs/CNPJs to bring in) instead.",
};

export class HubsoftErp implements ErpClient {
  readonly type = "hubsoft" as const;
  readonly unsupported = HUBSOFT_UNSUPPORTED;

  constructor(private readonly ctx: AdapterContext) {}

  async #tokenKey() {
    const c = this.ctx.credentials;
    return `erp:hubsoft:token:${this.ctx.connectionId}:${
      (await sha256Hex(`${c.client_id}:${c.username}`)).slice(0, 16)
    }`;
  }

  async #token(fresh: boolean): Promise<Result<string>> {
    const { kv, secrets } = this.ctx.services;
    const key = await this.#tokenKey();
    if (!fresh) {
      const sealed = await kv.get(key);
      if (sealed) {
        const token = await secrets.open<string>(sealed);
        this.ctx.http.secrets.push(token);
        return ok(token);
      }
    }
    const c = this.ctx.credentials;
    const res = await this.ctx.http.call({
      operation: "authenticate",
      method: "POST",
      path: "/oauth/token",
      kind: "read",
      json: {
        grant_type: "password",
        client_id: c.client_id ?? "",
        client_secret: c.client_secret ?? "",
        username: c.username ?? "",
        password: c.password ?? "",
      },
    });
    if (!res.ok) return res as Result<never>;
    const body = asObject(res.value.body);
    const token = str(body.access_token);
    if (res.value.status >= 400 || !token) {
      const message = str(body.message) ?? str(body.error_description) ?? str(body.msg) ??
        `HTTP ${res.value.status}`;
      return res.value.fail("erp_error", `HubSoft refused the OAuth credentials: ${message}`, {
        extensions: { erp_message: message, erp_status: res.value.status },
      });
    }
    this.ctx.http.secrets.push(token);
    const ttl = Math.min(num(body.expires_in) ?? 3600, 86_400) - 300;
    if (ttl > 60) await kv.set(key, await secrets.seal(token), { ttlSeconds: ttl });
    return ok(token);
  }

  async #call(
    req: Omit<ErpRequest, "headers">,
  ): Promise<Result<{ body: Record<string, unknown>; res: ErpResponse }>> {
    for (let fresh = false;; fresh = true) {
      const token = await this.#token(fresh);
      if (!token.ok) return token as Result<never>;
      const res = await this.ctx.http.call({ ...req, headers: { authorization: `Bearer ${token.value}` } });
      if (!res.ok) return res as Result<never>;
      if (res.value.status === 401 && !fresh) {
        res.value.mark("erp_error", "token refused (401); asking for a new one");
        continue;
      }
      return ok({ body: asObject(res.value.body), res: res.value });
    }
  }

  #error(body: Record<string, unknown>, res: ErpResponse): string | null {
    if (res.status >= 400) return str(body.msg) ?? str(body.message) ?? `HubSoft answered HTTP ${res.status}`;
    if (ok200(body)) return null;
    return str(body.msg) ?? str(body.message) ?? "HubSoft answered an error";
  }

  /** A lookup by customer failed: HubSoft's "no such customer" is a 404, anything else its error. */
  #customerError(res: ErpResponse, error: string, customerId: string): Result<never> {
    if (/nenhum cliente|cliente n[ãa]o encontrad/i.test(error)) {
      return res.fail("not_found", `No customer ${customerId} in HubSoft`);
    }
    return res.fail("erp_error", error, { extensions: { erp_message: error } });
  }

  async test(): Promise<Result<TestCheck[]>> {
    const token = await this.#token(true);
    if (!token.ok) return token as Result<never>;
    const got = await this.#call({
      operation: "test",
      method: "GET",
      path: "/api/v1/integracao/configuracao/servico",
      kind: "read",
    });
    if (!got.ok) return got as Result<never>;
    const error = this.#error(got.value.body, got.value.res);
    if (error) return got.value.res.fail("erp_error", error, { extensions: { erp_message: error } });
    return ok([
      { name: "oauth", ok: true, detail: "password grant accepted" },
      { name: "integration", ok: true, detail: "integration API answered" },
    ]);
  }

  #contract(s: Record<string, unknown>): ErpContract {
    return {
      id: str(s.id_cliente_servico) ?? "",
      status: serviceStatus(s),
      plan: {
        id: idOf(s.id_servico) ?? idOf(s.numero_plano),
        name: str(s.nome),
        download_mbps: null,
        upload_mbps: null,
        price_cents: cents(s.valor),
      },
      login: str(s.login),
    };
  }

  #customer(c: Record<string, unknown>): ErpCustomer | null {
    const doc = documentOf(c.cpf_cnpj);
    const id = idOf(c.codigo_cliente);
    if (!doc || !id) return null;
    const services = asArray(c.servicos).map((s) => this.#contract(s));
    const addr = asObject(asArray(c.servicos)[0]?.endereco_instalacao);
    return {
      id,
      document: doc.value,
      document_type: doc.type,
      name: str(c.nome_razaosocial) ?? "",
      email: str(c.email_principal),
      phones: phonesOf([c.telefone_primario, c.telefone_secundario, c.telefone_terciario]),
      address: Object.keys(addr).length
        ? {
          street: str(addr.endereco) ?? str(addr.logradouro),
          number: str(addr.numero),
          complement: str(addr.complemento),
          district: str(addr.bairro),
          city: str(asObject(addr.cidade).nome) ?? str(addr.cidade),
          state: str(asObject(addr.estado).sigla) ?? str(addr.uf),
          zip: str(addr.cep),
        }
        : null,
      status: worstStatus(services.map((s) => s.status)),
      contracts: services,
      alerts: (Array.isArray(c.alerta_mensagens) ? c.alerta_mensagens : [])
        .map((m) => (typeof m === "string" ? m : str(asObject(m).mensagem) ?? str(asObject(m).descricao)))
        .filter((m): m is string => !!m),
    };
  }

  async #search(
    operation: string,
    busca: string,
    termo: string,
    extra: Record<string, string> = {},
  ): Promise<Result<{ rows: Record<string, unknown>[]; res: ErpResponse }>> {
    const got = await this.#call({
      operation,
      method: "GET",
      path: "/api/v1/integracao/cliente",
      query: { busca, termo_busca: termo, limit: 20, ...extra },
      kind: "read",
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    // "Nenhum cliente encontrado" comes as an error status with an empty list.
    const rows = asArray(body.clientes);
    if (error && rows.length === 0 && /nenhum|não encontrad|nao encontrad/i.test(error)) {
      res.mark("not_found", error);
      return ok({ rows: [], res });
    }
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    if (rows.length === 0) res.mark("not_found");
    return ok({ rows, res });
  }

  async findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>> {
    const found = await this.#search("find_customers", "cpf_cnpj", document.value);
    if (!found.ok) return found as Result<never>;
    return ok(found.value.rows.map((c) => this.#customer(c)).filter((c): c is ErpCustomer => c !== null));
  }

  /** The customer by `codigo_cliente`, with its services (and their last RADIUS session when asked). */
  async #byCode(
    operation: string,
    code: string,
    lastSession = false,
  ): Promise<Result<Record<string, unknown>>> {
    const found = await this.#search(
      operation,
      "codigo_cliente",
      code,
      lastSession ? { ultima_conexao: "sim" } : {},
    );
    if (!found.ok) return found as Result<never>;
    const row = found.value.rows.find((r) => idOf(r.codigo_cliente) === code);
    return row ? ok(row) : fail("not_found", `No customer ${code} in HubSoft`);
  }

  #invoice(f: Record<string, unknown>, customerId: string, today: string): ErpInvoice {
    const due = isoDate(f.data_vencimento) ?? today;
    const paid = isoDate(f.data_pagamento);
    return {
      id: str(f.id_fatura) ?? "",
      customer_id: customerId,
      contract_id: idOf(asObject(asObject(f.cliente).servico).id_cliente_servico),
      description: str(f.descricao) ?? (str(f.tipo_cobranca)?.replace(/_/g, " ") ?? null),
      due_date: due,
      amount_cents: cents(f.valor) ?? 0,
      status: paid ? "paid" : due < today ? "overdue" : "open",
      paid_at: paid ? `${paid}T12:00:00.000Z` : null,
      linha_digitavel: str(f.linha_digitavel),
      barcode: str(f.codigo_barras),
      pix_copia_e_cola: str(f.pix_copia_cola) ?? str(f.pix_copia_e_cola),
      pdf_url: str(f.link),
      payment_url: null,
    };
  }

  async #faturas(operation: string, customerId: string, pendingOnly: boolean) {
    const got = await this.#call({
      operation,
      method: "GET",
      path: "/api/v1/integracao/cliente/financeiro",
      query: {
        busca: "codigo_cliente",
        termo_busca: customerId,
        apenas_pendente: pendingOnly ? "sim" : "nao",
        limit: 50,
        order_by: "data_vencimento",
        order_type: "asc",
      },
      kind: "read",
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    if (error) return this.#customerError(res, error, customerId);
    const today = todayIn(this.ctx.services);
    return ok(asArray(body.faturas).map((f) => this.#invoice(f, customerId, today)));
  }

  invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>> {
    return this.#faturas("invoices", customerId, filter === "open");
  }

  async segundaVia(invoiceId: string, opts: { customerId?: string }): Promise<Result<ErpSegundaVia>> {
    if (!opts.customerId) {
      return fail(
        "validation_failed",
        "HubSoft finds an invoice through its customer: send `customer_id` (codigo_cliente)",
        {
          errors: [{ path: "body.customer_id", message: "Required for HubSoft" }],
        },
      );
    }
    // No separate call: the invoice already carries link, line and PIX (reference §4.3).
    const all = await this.#faturas("segunda_via", opts.customerId, false);
    if (!all.ok) return all as Result<never>;
    const inv = all.value.find((f) => f.id === invoiceId);
    if (!inv) return fail("not_found", `No invoice ${invoiceId} of customer ${opts.customerId} in HubSoft`);
    if (inv.status === "paid") {
      return fail("erp_refused", `Invoice ${invoiceId} is already paid`, { extensions: { reason: "paid" } });
    }
    return ok({
      invoice_id: inv.id,
      customer_id: inv.customer_id,
      due_date: inv.due_date,
      amount_cents: inv.amount_cents,
      status: inv.status,
      linha_digitavel: inv.linha_digitavel,
      barcode: inv.barcode,
      pix_copia_e_cola: inv.pix_copia_e_cola,
      pdf_url: inv.pdf_url,
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
    const found = await this.#byCode("connection_status", customerId, true);
    if (!found.ok) return found as Result<never>;
    let services = asArray(found.value.servicos);
    if (opts.contractId) services = services.filter((s) => str(s.id_cliente_servico) === opts.contractId);
    const connections: ErpConnection[] = services.map((s) => {
      const last = asObject(s.ultima_conexao);
      const connected = last.conectado === true || str(last.conectado) === "true";
      const known = Object.keys(last).length > 0;
      const status = serviceStatus(s);
      return {
        contract_id: str(s.id_cliente_servico),
        login: str(s.login),
        state: !known ? "unknown" : connected ? "online" : "offline",
        since: connected
          ? isoDateTime(last.ultima_conexao_datetime)
          : isoDateTime(last.ultima_desconexao_datetime),
        ip: connected ? str(last.ultimo_ipv4) ?? str(s.ipv4) : null,
        mac: str(s.mac_addr),
        last_authentication_at: isoDateTime(last.ultima_conexao_datetime),
        equipment: str(last.ultimo_nas_ip),
        blocked: status === "blocked",
        reduced: status === "reduced",
        detail: str(last.status_txt) ?? str(last.status_txt_resumido),
      };
    });
    return ok({ customer_id: customerId, connections, source: "accounting" });
  }

  async unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>> {
    const found = await this.#byCode("unblock", customerId);
    if (!found.ok) return found as Result<never>;
    const picked = pickContract(
      customerId,
      asArray(found.value.servicos).map((s) => this.#contract(s)),
      opts.contractId,
      "unlock",
      (c) => c.status === "blocked",
      () => notBlocked(customerId),
    );
    if (!picked.ok) return picked as Result<never>;
    const got = await this.#call({
      operation: "unblock",
      method: "POST",
      path: "/api/v1/integracao/cliente/desbloqueio_confianca",
      kind: "write",
      json: { id_cliente_servico: picked.value.id, dias_desbloqueio: String(opts.days) },
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    if (error) {
      // HubSoft applies the provider's panel rule (days, uses) and refuses with its reason.
      const reason = /j[áa] (foi|utiliz|realiz)|limite|excede/i.test(error) ? "already_used" : "refused";
      return res.fail(res.status >= 500 ? "erp_error" : "erp_refused", error, {
        extensions: { reason, erp_message: error },
      });
    }
    const msg = str(body.msg);
    // "… realizado com sucesso até a data 26/11/2018"
    const until = isoDate(/(\d{2}\/\d{2}\/\d{4})/.exec(msg ?? "")?.[1]);
    return ok({ customer_id: customerId, contract_id: picked.value.id, until, protocol: null, message: msg });
  }

  #ticket(a: Record<string, unknown>, customerId: string | null): ErpTicket {
    const descr = str(a.descricao) ?? str(a.descricao_abertura);
    return {
      id: str(a.id_atendimento) ?? "",
      protocol: str(a.protocolo),
      customer_id: customerId,
      contract_id: idOf(a.id_cliente_servico) ?? idOf(asObject(a.cliente_servico).id_cliente_servico),
      type: null,
      subject: str(a.tipo_atendimento) ?? str(asObject(a.tipo_atendimento).descricao),
      status: ticketStatus(a.status ?? asObject(a.status).descricao),
      messages: descr ? [{ at: isoDateTime(a.data_cadastro), author: null, text: descr }] : [],
      created_at: isoDateTime(a.data_cadastro),
      updated_at: isoDateTime(a.data_atualizacao) ?? isoDateTime(a.data_cadastro),
    };
  }

  async createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>> {
    // HubSoft's atendimento needs the service, a name and a phone (DDNNNNNNNNN).
    let serviceId = input.contractId;
    let name = input.contactName;
    let phone = input.contactPhone;
    if (!serviceId || !name || !phone) {
      const found = await this.#byCode("create_ticket", input.customerId);
      if (!found.ok) return found as Result<never>;
      const c = this.#customer(found.value);
      if (!serviceId) {
        const picked = pickContract(input.customerId, c?.contracts ?? [], undefined, "open a ticket on");
        if (!picked.ok) return picked as Result<never>;
        serviceId = picked.value.id;
      }
      name ??= c?.name;
      phone ??= c?.phones[0];
    }
    if (!phone) {
      return fail(
        "validation_failed",
        "HubSoft needs a phone for the atendimento and the customer has none: send contact_phone",
        {
          errors: [{ path: "body.contact_phone", message: "Required: the customer has no phone in HubSoft" }],
        },
      );
    }
    const type = this.ctx.settings.ticket_types[input.type];
    const got = await this.#call({
      operation: "create_ticket",
      method: "POST",
      path: "/api/v1/integracao/atendimento",
      kind: "write",
      json: {
        id_cliente_servico: serviceId,
        descricao: input.subject ? `${input.subject}\n\n${input.description}` : input.description,
        nome: name ?? "Cliente",
        telefone: phone.replace(/^\+55/, "").replace(/\D/g, ""),
        ...(type ? { id_tipo_atendimento: type } : {}),
        abrir_os: false,
        parametros: {
          origem: "pytake",
          ...(input.conversationId ? { conversation_id: input.conversationId } : {}),
        },
      },
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    const a = asObject(body.atendimento);
    if (!str(a.id_atendimento)) {
      return res.fail("erp_error", "HubSoft accepted the atendimento but gave no id");
    }
    return ok({
      ...this.#ticket(a, input.customerId),
      contract_id: serviceId ?? null,
      type: input.type,
      subject: input.subject ?? str(a.tipo_atendimento),
      messages: [{ at: null, author: name ?? null, text: input.description }],
    });
  }

  async tickets(
    customerId: string,
    opts: { status?: TicketStatus | "open_any" },
  ): Promise<Result<ErpTicket[]>> {
    const got = await this.#call({
      operation: "tickets",
      method: "GET",
      path: "/api/v1/integracao/cliente/atendimento",
      query: {
        busca: "codigo_cliente",
        termo_busca: customerId,
        apenas_pendente: opts.status === "open_any" ? "sim" : "nao",
        limit: 50,
      },
      kind: "read",
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    if (error) return this.#customerError(res, error, customerId);
    const open = new Set<TicketStatus>(["open", "pending", "in_progress"]);
    return ok(
      asArray(body.atendimentos).map((a) => this.#ticket(a, customerId)).filter((t) =>
        !opts.status || (opts.status === "open_any" ? open.has(t.status) : t.status === opts.status)
      ),
    );
  }

  async updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    const got = await this.#call({
      operation: "update_ticket",
      method: "PUT",
      path: `/api/v1/integracao/atendimento/${encodeURIComponent(ticketId)}`,
      kind: "write",
      json: {
        ...(input.message ? { descricao: input.message } : {}),
        fechar_atendimento: input.close === true,
      },
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    if (res.status === 404) return res.fail("not_found", `No atendimento ${ticketId} in HubSoft`);
    const error = this.#error(body, res);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    const a = asObject(body.atendimento);
    return ok({
      ...this.#ticket({ id_atendimento: ticketId, ...a }, input.customerId ?? null),
      status: input.close ? "closed" : ticketStatus(a.status ?? "em andamento"),
      messages: input.message ? [{ at: null, author: "PyTake", text: input.message }] : [],
    });
  }

  async plans(): Promise<Result<ErpPlan[]>> {
    const got = await this.#call({
      operation: "plans",
      method: "GET",
      path: "/api/v1/integracao/configuracao/servico",
      kind: "read",
    });
    if (!got.ok) return got as Result<never>;
    const { body, res } = got.value;
    const error = this.#error(body, res);
    if (error) return res.fail("erp_error", error, { extensions: { erp_message: error } });
    const list = asArray(body.servicos ?? Object.values(body).find(Array.isArray));
    return ok(
      list.map((p) => ({
        id: str(p.id_servico) ?? "",
        name: str(p.descricao) ?? "",
        download_mbps: kbps(p.velocidade_download),
        upload_mbps: kbps(p.velocidade_upload),
        price_cents: cents(p.valor),
        technology: str(p.tecnologia) ?? str(asObject(p.tecnologia).descricao),
        active: str(p.ativo) !== "false" && p.ativo !== false,
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

/** HubSoft gives speeds in Kbps. */
const kbps = (v: unknown): number | null => {
  const n = num(v);
  return n === null ? null : Math.round(n / 1024);
};
