import { fail, ok, type Result } from "../../core/result.ts";
import { documentOf, type TaxDocument } from "../../core/br-documents.ts";
import type { ErpRequest, ErpResponse } from "../erp-http.ts";
import type {
  CustomerStatus,
  ErpConnectionStatus,
  ErpCustomer,
  ErpInvoice,
  ErpPlan,
  ErpPlanChange,
  ErpSegundaVia,
  ErpTicket,
  ErpUnlock,
  TicketStatus,
} from "../model.ts";
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
  notSupported,
  num,
  phonesOf,
  str,
  todayIn,
} from "./common.ts";

/**
 * SGP (TSMX), its URA module made for bots and IVRs (reference §2): every request carries the
 * token and the exact (case-sensitive) application name, in the form body of POSTs and the query
 * of GETs; `/api/ura/chamado/` alone takes JSON. Errors come as HTTP 200 with `status: 0` and a
 * `msg`; Python's None leaks through as the string "None".
 *
 * SGP's URA API is addressed by contract, so a customer here is one contract (`contratoId`): a
 * CPF with two contracts finds two customers, and the bot asks which. Listing every customer has
 * no URA call: sync works from a list of documents.
 *
 * Weaker ground (reference §2.6–2.7, marked [weak] there): the ticket list and plan list answers
 * are read tolerantly (several field names accepted); the plan change sends `action=update`.
 */

/** `contratoStatus` codes from SGP's remessa docs. */
function contractStatus(code: unknown): CustomerStatus {
  switch (num(code)) {
    case 1:
      return "active";
    case 4:
      return "blocked";
    case 7:
      return "reduced";
    default:
      return "cancelled";
  }
}

function ticketStatus(v: unknown): TicketStatus {
  const s = (str(v) ?? "").toLowerCase();
  if (s === "1" || /encerr|fechad|conclu/.test(s)) return "closed";
  if (s === "2" || /execu|andamento/.test(s)) return "in_progress";
  if (s === "3" || /pend/.test(s)) return "pending";
  return "open";
}

/** SGP's `msg` may name the PPPoE login (reference §2.5): never shown as it came. */
function withoutLogin(msg: string | null, login: string | null): string | null {
  if (!msg) return msg;
  const out = login ? msg.split(login).join("[login]") : msg;
  return out.replace(/(login\s*:?\s*)(?!\[login\])[\w.@-]+/gi, "$1[login]");
}

/** What this ERP has no call for, and what to do instead (answered as 501 `erp_unsupported`). */
export const SGP_UNSUPPORTED: Partial<Record<Operation, string>> = {
  invoice_pdf: "SGP gives the boleto's own link in `pdf_url`.",
  list_customers:
    "SGP's URA API cannot list every customer; sync with `documents` (the CPFs/CNPJs to bring in) instead.",
};

export class SgpErp implements ErpClient {
  readonly type = "sgp" as const;
  readonly unsupported = SGP_UNSUPPORTED;

  constructor(private readonly ctx: AdapterContext) {}

  get #auth() {
    return { token: this.ctx.credentials.api_key ?? "", app: this.ctx.credentials.app ?? "" };
  }

  #post(
    operation: string,
    path: string,
    form: Record<string, string | number | undefined>,
    kind: ErpRequest["kind"],
  ) {
    return this.ctx.http.call({ operation, method: "POST", path, form: { ...this.#auth, ...form }, kind });
  }

  /** SGP's refusals: HTTP 401/403 for a bad token or app, or 200 with `status: 0`. */
  #problem(r: ErpResponse): string | null {
    if (r.status === 401 || r.status === 403) {
      return `SGP refused the token or the application name (HTTP ${r.status}); the app name is case-sensitive`;
    }
    if (r.status >= 400) return `SGP answered HTTP ${r.status}`;
    const body = asObject(r.body);
    if (num(body.status) === 0 && !("contratos" in body) && !("links" in body)) {
      return str(body.msg) ?? "SGP answered an error";
    }
    return null;
  }

  async test(): Promise<Result<TestCheck[]>> {
    const res = await this.ctx.http.call({
      operation: "test",
      method: "GET",
      path: "/api/ura/consultaplano/",
      query: this.#auth,
      kind: "read",
    });
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    return ok([{
      name: "ura",
      ok: true,
      detail: `token and app accepted; ${asArray(asObject(res.value.body).planos).length} plans`,
    }]);
  }

  #customer(c: Record<string, unknown>): ErpCustomer | null {
    const doc = documentOf(c.cpfCnpj);
    const id = idOf(c.contratoId);
    if (!doc || !id) return null;
    const status = contractStatus(c.contratoStatus);
    const emails = asArray(c.emails).map((e) => str(e.contato)).concat(
      (Array.isArray(c.emails) ? c.emails : []).filter((e) => typeof e === "string").map((e) => str(e)),
    ).filter((e): e is string => !!e);
    return {
      id,
      document: doc.value,
      document_type: doc.type,
      name: str(c.razaoSocial) ?? "",
      email: emails[0] ?? null,
      phones: phonesOf(Array.isArray(c.telefones) ? c.telefones : []),
      address: {
        street: str(c.endereco_logradouro),
        number: str(c.endereco_numero),
        complement: str(c.endereco_complemento),
        district: str(c.endereco_bairro),
        city: str(c.endereco_cidade),
        state: str(c.endereco_uf),
        zip: str(c.endereco_cep),
      },
      status,
      contracts: [{
        id,
        status,
        plan: {
          id: null,
          name: str(c.servico_plano) ?? str(c.planointernet),
          download_mbps: null,
          upload_mbps: null,
          price_cents: null,
        },
        login: str(c.servico_login),
      }],
      alerts: [],
    };
  }

  async #consult(
    operation: string,
    form: Record<string, string>,
  ): Promise<Result<Record<string, unknown>[]>> {
    const res = await this.#post(operation, "/api/ura/consultacliente/", form, "read");
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    const contratos = asArray(asObject(res.value.body).contratos);
    if (contratos.length === 0) res.value.mark("not_found", str(asObject(res.value.body).msg));
    return ok(contratos);
  }

  async findCustomers(document: TaxDocument): Promise<Result<ErpCustomer[]>> {
    const found = await this.#consult("find_customers", { cpfcnpj: document.value });
    if (!found.ok) return found as Result<never>;
    return ok(found.value.map((c) => this.#customer(c)).filter((c): c is ErpCustomer => c !== null));
  }

  #invoice(t: Record<string, unknown>, contrato: string, today: string): ErpInvoice {
    const due = isoDate(t.vencimento) ?? isoDate(t.vencimento_atualizado) ?? today;
    const label = (str(t.status) ?? "").toLowerCase();
    const paidAt = str(t.data_pagamento);
    const status = /cancel/.test(label)
      ? "cancelled"
      : /pag|quitad|baixad/.test(label) || paidAt
      ? "paid"
      : due < today
      ? "overdue"
      : "open";
    return {
      id: str(t.id)!,
      customer_id: contrato,
      contract_id: contrato,
      description: str(t.numero_documento) ? `Documento ${str(t.numero_documento)}` : null,
      due_date: due,
      amount_cents: cents(t.valorcorrigido) ?? cents(t.valor) ?? 0,
      status,
      paid_at: isoDateTime(paidAt) ?? (isoDate(paidAt) ? `${isoDate(paidAt)}T12:00:00.000Z` : null),
      linha_digitavel: str(t.linhadigitavel),
      barcode: null,
      pix_copia_e_cola: str(t.codigopix),
      pdf_url: str(t.link_completo) ?? str(t.link),
      payment_url: null,
    };
  }

  async invoices(customerId: string, filter: InvoiceFilter): Promise<Result<ErpInvoice[]>> {
    const res = await this.#post("invoices", "/api/ura/titulos/", {
      contrato: customerId,
      status: filter === "open" ? "abertos" : filter === "paid" ? "pagos" : undefined,
      limit: 250,
    }, "read");
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    const body = res.value.body;
    const today = todayIn(this.ctx.services);
    // Seen under `titulos`, sometimes as the bare list; mixed statuses, arbitrary order.
    const rows = Array.isArray(body) ? asArray(body) : asArray(asObject(body).titulos);
    return ok(rows.map((t) => this.#invoice(t, customerId, today)));
  }

  async segundaVia(invoiceId: string, opts: { customerId?: string }): Promise<Result<ErpSegundaVia>> {
    if (!opts.customerId) {
      return fail(
        "validation_failed",
        "SGP finds a boleto by its contract: send `customer_id` (the contract id)",
        {
          errors: [{ path: "body.customer_id", message: "Required for SGP" }],
        },
      );
    }
    const contrato = opts.customerId;
    const res = await this.#post("segunda_via", "/api/ura/fatura2via/", {
      contrato,
      faturas_abertas_todas: 1,
      link_pdf: 1,
      nao_gerar_os: 1,
    }, "read");
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    if (r.status >= 400) return r.fail("erp_error", this.#problem(r) ?? `SGP answered HTTP ${r.status}`);
    const body = asObject(r.body);
    const link = asArray(body.links).find((l) => str(l.id) === invoiceId || str(l.fatura) === invoiceId);
    if (!link) {
      // `status: 0` with no links: nothing open on the contract.
      return r.fail("not_found", `No open invoice ${invoiceId} on SGP contract ${contrato}`);
    }
    let pix = str(link.codigopix);
    if (!pix) {
      const p = await this.#post(
        "segunda_via",
        `/api/ura/pagamento/pix/${encodeURIComponent(str(link.id) ?? invoiceId)}/`,
        {
          contrato,
        },
        "read",
      );
      if (!p.ok && p.failure.code !== "erp_error") return p as Result<never>;
      if (p.ok) {
        const pb = asObject(p.value.body);
        pix = num(pb.status) === 1 ? str(pb.pix) : null;
        if (!pix) p.value.mark("refused", str(pb.msg) ?? "no PIX for this invoice");
      }
    }
    const today = todayIn(this.ctx.services);
    // `vencimento` here is the re-issue date, not the original due date (reference §2.3).
    const due = isoDate(link.vencimento) ?? today;
    return ok({
      invoice_id: str(link.id) ?? invoiceId,
      customer_id: contrato,
      due_date: due,
      amount_cents: cents(link.valor) ?? 0,
      status: due < today ? "overdue" : "open",
      linha_digitavel: str(link.linhadigitavel),
      barcode: null,
      pix_copia_e_cola: pix,
      pdf_url: str(link.link),
      payment_url: null,
    });
  }

  invoicePdf(): Promise<Result<Uint8Array>> {
    return notSupported(this, "invoice_pdf");
  }

  async connectionStatus(customerId: string): Promise<Result<ErpConnectionStatus>> {
    const res = await this.#post(
      "connection_status",
      "/api/ura/verificaacesso/",
      { contrato: customerId },
      "read",
    );
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    if (r.status >= 400) return r.fail("erp_error", this.#problem(r) ?? `SGP answered HTTP ${r.status}`);
    const body = asObject(r.body);
    if (!idOf(body.contratoId) && !str(body.login)) {
      return r.fail("not_found", str(body.msg) ?? `No SGP contract ${customerId}`);
    }
    // 1 = online; 2 (0 in some code) = offline (probed against a live API, reference §2.4).
    const code = num(body.status);
    const state = code === 1 ? "online" : code === 2 || code === 0 ? "offline" : "unknown";
    return ok({
      customer_id: customerId,
      connections: [{
        contract_id: idOf(body.contratoId) ?? customerId,
        login: str(body.login),
        state,
        since: null,
        ip: null,
        mac: null,
        last_authentication_at: null,
        equipment: null,
        blocked: /bloque|suspen/i.test(str(body.msg) ?? "") ? true : null,
        reduced: null,
        detail: withoutLogin(str(body.msg), str(body.login)),
      }],
      source: "live",
    });
  }

  async unblock(customerId: string, opts: { contractId?: string; days: number }): Promise<Result<ErpUnlock>> {
    if (opts.contractId && opts.contractId !== customerId) {
      return fail(
        "not_found",
        `Contract ${opts.contractId} is not SGP customer ${customerId} (SGP customers are contracts)`,
      );
    }
    const promise = new Date(this.ctx.services.clock.now().getTime() - 3 * 3_600_000 + opts.days * 86_400_000)
      .toISOString().slice(0, 10);
    const res = await this.#post("unblock", "/api/ura/liberacaopromessa/", {
      contrato: customerId,
      data_promessa: promise,
    }, "write");
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    if (r.status >= 400) return r.fail("erp_error", this.#problem(r) ?? `SGP answered HTTP ${r.status}`);
    const body = asObject(r.body);
    const message = withoutLogin(str(body.msg), null);
    if (body.liberado === true || str(body.liberado) === "true") {
      return ok({
        customer_id: customerId,
        contract_id: customerId,
        until: isoDate(body.data_promessa) ?? promise,
        protocol: str(body.protocolo),
        message,
      });
    }
    if (num(body.status) === 0 && /não encontrad|nao encontrad|inexistente/i.test(str(body.msg) ?? "")) {
      return r.fail("not_found", message ?? `No SGP contract ${customerId}`);
    }
    const reason = /já|ja utiliz|limite|excedid/i.test(str(body.msg) ?? "")
      ? "already_used"
      : /não está|nao esta|ativo/i.test(str(body.msg) ?? "")
      ? "not_blocked"
      : "refused";
    return r.fail("erp_refused", message ?? "SGP refused the promise of payment", {
      extensions: { reason, erp_message: message },
    });
  }

  #ticket(t: Record<string, unknown>, contrato: string | null): ErpTicket {
    const text = str(t.conteudo) ?? str(t.descricao) ?? str(t.ocorrencia_conteudo);
    return {
      id: str(t.id) ?? str(t.os_id) ?? str(t.protocolo) ?? "",
      protocol: str(t.protocolo) ?? str(t.numero),
      customer_id: idOf(t.contrato) ?? idOf(t.contratoId) ?? contrato,
      contract_id: idOf(t.contrato) ?? idOf(t.contratoId) ?? contrato,
      type: null,
      subject: str(t.tipo) ?? str(t.ocorrenciatipo_descricao) ?? str(t.assunto),
      status: ticketStatus(t.status ?? t.status_display),
      messages: text ? [{ at: isoDateTime(t.data_cadastro ?? t.data_abertura), author: null, text }] : [],
      created_at: isoDateTime(t.data_cadastro ?? t.data_abertura),
      updated_at: isoDateTime(t.data_alteracao ?? t.data_encerramento) ??
        isoDateTime(t.data_cadastro ?? t.data_abertura),
    };
  }

  async createTicket(input: CreateTicketInput): Promise<Result<ErpTicket>> {
    const res = await this.ctx.http.call({
      operation: "create_ticket",
      method: "POST",
      path: "/api/ura/chamado/",
      kind: "write",
      // The one URA endpoint that takes JSON: its classifications are an array.
      json: {
        ...this.#auth,
        contrato: input.customerId,
        ocorrenciatipo: Number(this.ctx.settings.ticket_types[input.type] ?? 5),
        conteudo: input.description,
        conteudolimpo: 1,
        ...(input.subject ? { observacao: input.subject } : {}),
        ...(this.ctx.settings.ticket_defaults.department_id
          ? { setor: this.ctx.settings.ticket_defaults.department_id }
          : {}),
        ...(input.contactName ? { contato_nome: input.contactName } : {}),
        ...(input.contactPhone ? { contato_telefone: input.contactPhone.replace(/^\+55/, "") } : {}),
      },
    });
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    const problem = this.#problem(r);
    if (problem) return r.fail("erp_error", problem, { extensions: { erp_message: problem } });
    // Sometimes a one-item array (reference §2.6).
    const body = Array.isArray(r.body) ? asArray(r.body)[0] ?? {} : asObject(r.body);
    const protocol = str(body.protocolo);
    if (!protocol) {
      return r.fail("erp_error", str(body.msg) ?? "SGP accepted the ticket but gave no protocol");
    }
    return ok({
      id: str(body.id) ?? str(body.ocorrencia) ?? protocol,
      protocol,
      customer_id: input.customerId,
      contract_id: input.customerId,
      type: input.type,
      subject: input.subject ?? null,
      status: "open",
      messages: [{ at: null, author: input.contactName ?? null, text: input.description }],
      created_at: null,
      updated_at: null,
    });
  }

  async tickets(
    customerId: string,
    opts: { status?: TicketStatus | "open_any" },
  ): Promise<Result<ErpTicket[]>> {
    const res = await this.#post("tickets", "/api/ura/ocorrencia/list/", { contrato: customerId }, "read");
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    const body = res.value.body;
    const rows = Array.isArray(body)
      ? asArray(body)
      : asArray(asObject(body).ocorrencias ?? asObject(body).chamados);
    const open = new Set<TicketStatus>(["open", "pending", "in_progress"]);
    return ok(
      rows.map((t) => this.#ticket(t, customerId)).filter((t) =>
        !opts.status || (opts.status === "open_any" ? open.has(t.status) : t.status === opts.status)
      ),
    );
  }

  async updateTicket(ticketId: string, input: UpdateTicketInput): Promise<Result<ErpTicket>> {
    const res = await this.#post(
      "update_ticket",
      `/api/central/chamado/update/${encodeURIComponent(ticketId)}/`,
      {
        ...(input.message ? { ocorrencia_conteudo: input.message } : {}),
        ...(input.close ? { ocorrencia_encerrar: 1, os_status: 1 } : {}),
      },
      "write",
    );
    if (!res.ok) return res as Result<never>;
    const r = res.value;
    if (r.status === 404) return r.fail("not_found", `No SGP ticket ${ticketId}`);
    const problem = this.#problem(r);
    if (problem) return r.fail("erp_error", problem, { extensions: { erp_message: problem } });
    return ok({
      id: ticketId,
      protocol: str(asObject(r.body).protocolo),
      customer_id: input.customerId ?? null,
      contract_id: input.customerId ?? null,
      type: null,
      subject: null,
      status: input.close ? "closed" : "in_progress",
      messages: input.message ? [{ at: null, author: "PyTake", text: input.message }] : [],
      created_at: null,
      updated_at: null,
    });
  }

  async plans(): Promise<Result<ErpPlan[]>> {
    const res = await this.ctx.http.call({
      operation: "plans",
      method: "GET",
      path: "/api/ura/consultaplano/",
      query: this.#auth,
      kind: "read",
    });
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    return ok(
      asArray(asObject(res.value.body).planos).map((p) => ({
        id: str(p.id) ?? str(p.plano_id) ?? "",
        name: str(p.descricao) ?? str(p.nome) ?? "",
        download_mbps: mbps(p.download ?? p.velocidade_download),
        upload_mbps: mbps(p.upload ?? p.velocidade_upload),
        price_cents: cents(p.valor ?? p.preco),
        technology: str(p.tipo) ?? str(p.tecnologia),
        active: str(p.ativo) !== "false" && str(p.ativo) !== "0",
      })).filter((p) => p.id),
    );
  }

  async changePlan(
    customerId: string,
    planId: string,
    opts: { contractId?: string },
  ): Promise<Result<ErpPlanChange>> {
    if (opts.contractId && opts.contractId !== customerId) {
      return fail(
        "not_found",
        `Contract ${opts.contractId} is not SGP customer ${customerId} (SGP customers are contracts)`,
      );
    }
    // The service id comes from verificaacesso (reference §2.7).
    const access = await this.#post(
      "change_plan",
      "/api/ura/verificaacesso/",
      { contrato: customerId },
      "read",
    );
    if (!access.ok) return access as Result<never>;
    const servico = idOf(asObject(access.value.body).servico_id);
    if (!servico) return access.value.fail("not_found", `SGP contract ${customerId} has no internet service`);
    const res = await this.#post(
      "change_plan",
      `/api/suporte/service/update/${encodeURIComponent(servico)}/`,
      {
        servico_tipo: "Internet",
        action: "update",
        plano_id: planId,
      },
      "write",
    );
    if (!res.ok) return res as Result<never>;
    const problem = this.#problem(res.value);
    if (problem) return res.value.fail("erp_error", problem, { extensions: { erp_message: problem } });
    return ok({
      customer_id: customerId,
      contract_id: customerId,
      plan_id: planId,
      message: str(asObject(res.value.body).msg),
    });
  }

  listCustomers(): Promise<Result<CustomerPage>> {
    return notSupported(this, "list_customers");
  }
}

/** Speeds as SGP writes them: "300", "300M", "300 Mbps", 307200 (Kbps). */
function mbps(v: unknown): number | null {
  const n = num(typeof v === "string" ? v.replace(/[^\d.,]/g, "") : v);
  if (n === null) return null;
  return n > 10_000 ? Math.round(n / 1024) : n;
}
