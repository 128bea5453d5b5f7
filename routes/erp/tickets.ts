import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { ticketStatuses, ticketTypes } from "../../src/erp/model.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { toE164 } from "../../src/whatsapp/phone.ts";
import { sessionOf } from "./context.ts";
import { erpResponses } from "./customers.ts";
import { ErpId, ErpIdParam, ErpTypeParam, TAG, TicketSchema } from "./schemas.ts";

export const CreateTicketBody = z.object({
  customer_id: ErpId.openapi({ example: "5612520008" }),
  type: z.enum(ticketTypes).openapi({
    description: "Mapped to the ERP's own id through settings `ticket_types` (IXC and MK need it set).",
    example: "technical",
  }),
  description: z.string().trim().min(1).max(4000).openapi({ example: "Internet lenta" }),
  subject: z.string().trim().min(1).max(200).optional(),
  contract_id: ErpId.optional(),
  contact_name: z.string().trim().min(1).max(200).optional(),
  contact_phone: z.string().trim().min(8).max(24).optional(),
  conversation_id: z.uuid().optional().openapi({
    description: "Kept with the ticket where the ERP stores free data (HubSoft).",
  }),
}).openapi("ErpCreateTicket");

export const createTicketRoute = defineRoute({ permission: "write:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/tickets",
  tags: [TAG],
  operationId: "createErpTicket",
  summary: "Open a ticket (chamado / atendimento)",
  description:
    "Opens it in the ERP (IXC `su_ticket`, SGP `chamado`, MK `WSMKNovoAtendimento`, HubSoft `atendimento`) and answers its id and protocol. Never sent twice: not retried, and `Idempotency-Key` replays the first answer. Produces `erp.ticket_updated` (`change: created`).",
  middleware: [idempotent],
  request: { params: ErpTypeParam, body: jsonBody(CreateTicketBody) },
  responses: { 201: jsonContent(TicketSchema, "Opened."), ...erpResponses },
});

export const listTicketsRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/tickets",
  tags: [TAG],
  operationId: "listErpTickets",
  summary: "A customer's tickets",
  description:
    "Newest first. `status=open` means any not yet resolved (open, in progress, pending). MK Solutions has no such list (501).",
  request: {
    params: ErpTypeParam,
    query: z.object({
      customer_id: ErpId.openapi({ example: "5612520008" }),
      status: z.enum(["open", ...ticketStatuses.filter((s) => s !== "open")]).optional(),
    }),
  },
  responses: { 200: jsonContent(z.object({ data: z.array(TicketSchema) }), "The tickets."), ...erpResponses },
});

export const UpdateTicketBody = z.object({
  message: z.string().trim().min(1).max(4000).optional().openapi({
    example: "Cliente confirmou que voltou a funcionar.",
  }),
  close: z.boolean().optional().openapi({ description: "Close (resolve) the ticket." }),
  customer_id: ErpId.optional().openapi({ description: "Checked against the ticket when given." }),
}).openapi("ErpUpdateTicket");

export const updateTicketRoute = defineRoute({ permission: "write:erp" }, {
  method: "put",
  path: "/api/v1/erp/{erp_type}/tickets/{id}",
  tags: [TAG],
  operationId: "updateErpTicket",
  summary: "Add to or close a ticket",
  description:
    "Adds a message, closes it, or both. A closed ticket takes no more (409 `erp_refused`, `reason: ticket_closed`). Produces `erp.ticket_updated`.",
  request: { params: ErpIdParam, body: jsonBody(UpdateTicketBody) },
  responses: { 200: jsonContent(TicketSchema, "The ticket now."), ...erpResponses },
});

export const registerErpTicketRoutes = (app: App) => {
  app.openapi(createTicketRoute, async (c) => {
    const erp = await sessionOf(c, c.req.valid("param").erp_type);
    const b = c.req.valid("json");
    const phone = b.contact_phone ? toE164(b.contact_phone) : undefined;
    if (b.contact_phone && !phone) {
      throw new ApiError("validation_failed", "contact_phone is not a valid phone number", {
        errors: [{ path: "body.contact_phone", message: "Not a valid phone number" }],
      });
    }
    const ticket = unwrap(
      await erp.createTicket({
        customerId: b.customer_id,
        contractId: b.contract_id,
        type: b.type,
        subject: b.subject,
        description: b.description,
        contactName: b.contact_name,
        contactPhone: phone ?? undefined,
        conversationId: b.conversation_id,
      }),
    );
    return c.json(ticket, 201);
  });

  app.openapi(listTicketsRoute, async (c) => {
    const erp = await sessionOf(c, c.req.valid("param").erp_type);
    const q = c.req.valid("query");
    const status = q.status === "open" ? "open_any" as const : q.status;
    return c.json({ data: unwrap(await erp.tickets(q.customer_id, { status })) }, 200);
  });

  app.openapi(updateTicketRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const b = c.req.valid("json");
    if (!b.message && !b.close) {
      throw new ApiError("validation_failed", "Send a `message`, `close: true`, or both", {
        errors: [{ path: "body", message: "Nothing to change" }],
      });
    }
    const erp = await sessionOf(c, erp_type);
    return c.json(
      unwrap(await erp.updateTicket(id, { message: b.message, close: b.close, customerId: b.customer_id })),
      200,
    );
  });
};
