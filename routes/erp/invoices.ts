import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { erpFor, verifyPdfToken } from "../../src/erp/erp-service.ts";
import { sendSegundaVia } from "../../src/erp/segunda-via.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import { jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { deferTo, erpTypeOf, sessionOf } from "./context.ts";
import { erpResponses } from "./customers.ts";
import {
  ErpId,
  ErpIdParam,
  ErpTypeParam,
  InvoiceSchema,
  MessageRefSchema,
  SegundaViaSchema,
  TAG,
} from "./schemas.ts";

export const listInvoicesRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/invoices",
  tags: [TAG],
  operationId: "listErpInvoices",
  summary: "A customer's invoices",
  description:
    "`status=open` (default): the statuses the connection counts as open (`open` and `overdue` unless changed in settings); `paid`; `all`. Oldest due first. Amounts in cents; overdue means open and past due in São Paulo's calendar. MK lists pending invoices only.",
  request: {
    params: ErpTypeParam,
    query: z.object({
      customer_id: ErpId.openapi({ example: "5612520004" }),
      status: z.enum(["open", "paid", "all"]).default("open"),
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(InvoiceSchema) }), "The invoices."),
    ...erpResponses,
  },
});

export const DuplicateBody = z.object({
  customer_id: ErpId.optional().openapi({
    description: "The invoice's customer. Required by SGP and HubSoft; elsewhere it is checked when given.",
  }),
  send_to: z.string().trim().min(8).max(64).optional().openapi({
    description:
      "Also send it on WhatsApp: a conversation id (to its contact, through its number) or a phone number (through `config_id` or the default number).",
    example: "+5519975834660",
  }),
  config_id: z.uuid().optional(),
}).openapi("ErpDuplicate");

export const duplicateRoute = defineRoute({ permission: "write:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/invoices/{id}/duplicate",
  tags: [TAG],
  operationId: "duplicateErpInvoice",
  summary: "Segunda via de boleto",
  description:
    "The linha digitável, the PIX copia e cola and the PDF of an open invoice, as the ERP issues them today. With `send_to`, it also goes to the customer on WhatsApp through the usual send path (window, quota, statuses and events as any message): the PDF as a document whose caption has the amount, due date and line, then the PIX code alone in a text, easy to copy. Takes `Idempotency-Key`: a retry sends nothing twice.",
  middleware: [idempotent],
  request: {
    params: ErpIdParam,
    body: { required: false, content: { "application/json": { schema: DuplicateBody } } },
  },
  responses: {
    200: jsonContent(
      SegundaViaSchema.extend({
        sent: z.object({ to: z.string(), messages: z.array(MessageRefSchema) }).optional(),
      }),
      "The segunda via (and what was sent).",
    ),
    ...erpResponses,
  },
});

export const invoicePdfRoute = defineRoute({ signature: "erp-pdf-link" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/invoices/{id}/pdf",
  tags: [TAG],
  operationId: "getErpInvoicePdf",
  summary: "A boleto's PDF (signed link)",
  description:
    "For ERPs that give the boleto as bytes rather than a link (IXC, the sandbox): the `pdf_url` of an invoice or segunda via points here, signed and valid for three days, so WhatsApp (and the customer) can fetch it without a token.",
  request: { params: ErpIdParam, query: z.object({ token: z.string().max(512) }) },
  responses: {
    200: {
      description: "The PDF.",
      content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } },
    },
    403: problemResponse("A token that is not valid for this invoice, or expired."),
    ...erpResponses,
  },
});

export const registerErpInvoiceRoutes = (app: App) => {
  app.openapi(listInvoicesRoute, async (c) => {
    const erp = await sessionOf(c, c.req.valid("param").erp_type);
    const q = c.req.valid("query");
    return c.json({ data: unwrap(await erp.invoices(q.customer_id, q.status)) }, 200);
  });

  app.openapi(duplicateRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const erp = await sessionOf(c, erp_type);
    const via = unwrap(await erp.segundaVia(id, { customerId: body.customer_id }));
    if (!body.send_to) return c.json(via, 200);
    const sent = unwrap(
      await sendSegundaVia(c.get("services"), c.get("principal")!, via, body.send_to, body.config_id),
    );
    return c.json({ ...via, sent }, 200);
  });

  app.openapi(invoicePdfRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const type = erpTypeOf(erp_type);
    const s = c.get("services");
    const grant = await verifyPdfToken(s, type, id, c.req.valid("query").token);
    if (!grant) throw new ApiError("forbidden", "This link is not valid for this invoice, or it has expired");
    const erp = unwrap(
      await erpFor(s, grant.tenantId, { type, defer: deferTo(c), requestId: c.get("requestId") }),
    );
    const pdf = unwrap(await erp.invoicePdf(id, { customerId: grant.customerId ?? undefined }));
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/pdf",
      "Content-Disposition": `inline; filename="boleto-${id}.pdf"`,
      "Cache-Control": "private, max-age=3600",
    });
  });
};
