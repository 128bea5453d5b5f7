import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { sessionOf } from "./context.ts";
import {
  ConnectionStatusSchema,
  CustomerSchema,
  ErpId,
  ErpIdParam,
  ErpTypeParam,
  PlanSchema,
  TAG,
} from "./schemas.ts";

/** What every route that calls the ERP may answer besides its own cases. */
export const erpResponses = {
  409: problemResponse(
    "`erp_not_connected`; `erp_refused` (the ERP said no: `reason`); `erp_contract_required` (several contracts: `contracts`).",
  ),
  501: problemResponse("`erp_unsupported`: this ERP has no such call; the detail says what to do instead."),
  502: problemResponse(
    "`erp_error`: the ERP failed or answered something unreadable; `erp_message` is its message.",
  ),
  503: problemResponse(
    "`erp_unavailable`: the ERP's circuit is open after repeated failures; see `Retry-After`.",
  ),
  504: problemResponse("`erp_timeout`: the ERP did not answer within the connection's timeout."),
};

export const findCustomerRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/customers/{document}",
  tags: [TAG],
  operationId: "findErpCustomer",
  summary: "Find a customer by CPF or CNPJ",
  description:
    "Any punctuation (`123.456.789-09`, `12.345.678/0001-95`, new alphanumeric CNPJs); a document whose check digits do not match is a 422 and the ERP is not called. Answers every match: one document may have several records (SGP: one per contract; MK: several registrations). Cached for the connection's `cache_ttl_seconds.customers`.",
  request: {
    params: ErpTypeParam.extend({
      document: z.string().max(32).openapi({
        param: { name: "document", in: "path" },
        example: "20956041566",
      }),
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(CustomerSchema) }), "The matches."),
    404: problemResponse("No customer with this document in the ERP (or an unknown ERP)."),
    ...erpResponses,
  },
});

export const connectionStatusRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/connection-status/{customer_id}",
  tags: [TAG],
  operationId: "getErpConnectionStatus",
  summary: "A customer's internet connection",
  description:
    "Online or offline per contract, since when, IP, MAC, last authentication, equipment and whether it is blocked. `source` says how fresh: IXC, SGP and the sandbox answer live, HubSoft from the last RADIUS accounting record, MK Solutions only blocked/reduced (`state: unknown`).",
  request: {
    params: ErpTypeParam.extend({
      customer_id: ErpId.openapi({ param: { name: "customer_id", in: "path" }, example: "5612520004" }),
    }),
    query: z.object({ contract_id: ErpId.optional() }),
  },
  responses: { 200: jsonContent(ConnectionStatusSchema, "The customer's connections."), ...erpResponses },
});

export const plansRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/plans",
  tags: [TAG],
  operationId: "listErpPlans",
  summary: "Plans on sale",
  description: "Cached for the connection's `cache_ttl_seconds.plans`.",
  request: { params: ErpTypeParam, query: z.object({ active: z.enum(["true", "false"]).optional() }) },
  responses: {
    200: jsonContent(z.object({ data: z.array(PlanSchema) }), "The ERP's plans."),
    ...erpResponses,
  },
});

export const ChangePlanBody = z.object({
  plan_id: ErpId.openapi({ example: "103" }),
  contract_id: ErpId.optional().openapi({ description: "Required when the customer has several contracts." }),
}).openapi("ErpChangePlan");

export const changePlanRoute = defineRoute({ permission: "write:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/customers/{id}/change-plan",
  tags: [TAG],
  operationId: "changeErpPlan",
  summary: "Change a customer's plan",
  description:
    "SGP and the sandbox only; IXC, MK and HubSoft have no plan-change call and answer 501 `erp_unsupported` (open a ticket of type `plan_change` instead). Takes `Idempotency-Key`.",
  middleware: [idempotent],
  request: { params: ErpIdParam, body: jsonBody(ChangePlanBody) },
  responses: {
    200: jsonContent(
      z.object({
        customer_id: z.string(),
        contract_id: z.string(),
        plan_id: z.string(),
        message: z.string().nullable(),
      }),
      "Changed.",
    ),
    ...erpResponses,
  },
});

export const UnblockBody = z.object({
  contract_id: ErpId.optional().openapi({
    description: "Required when the customer has several blocked contracts.",
  }),
}).openapi("ErpUnblock");

export const unblockRoute = defineRoute({ permission: "write:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/customers/{id}/unblock",
  tags: [TAG],
  operationId: "unblockErpCustomer",
  summary: "Trust unlock (desbloqueio de confiança)",
  description:
    "Releases a blocked contract for the connection's `unlock.days`, by the ERP's own call (IXC `desbloqueio_confianca`, SGP `liberacaopromessa`, MK `WSMKAutoDesbloqueio`, HubSoft `desbloqueio_confianca`) and its rules, plus the connection's own: at most one per `unlock.once_per_days` per customer. A refusal is 409 `erp_refused` with `reason` (`not_blocked`, `already_used`, `policy`, `disabled`, …). Never sent twice: the call is not retried, `Idempotency-Key` replays the first answer, and a timeout (504) may have unlocked, so check before asking again. Produces `erp.customer_unblocked`.",
  middleware: [idempotent],
  request: {
    params: ErpIdParam,
    body: { required: false, content: { "application/json": { schema: UnblockBody } } },
  },
  responses: {
    200: jsonContent(
      z.object({
        customer_id: z.string(),
        contract_id: z.string(),
        until: z.string().nullable().openapi({ format: "date" }),
        protocol: z.string().nullable(),
        message: z.string().nullable(),
      }).openapi("ErpUnlockResult"),
      "Unlocked.",
    ),
    ...erpResponses,
  },
});

export const registerErpCustomerRoutes = (app: App) => {
  app.openapi(findCustomerRoute, async (c) => {
    const { erp_type, document } = c.req.valid("param");
    const erp = await sessionOf(c, erp_type);
    const found = unwrap(await erp.findCustomers(document));
    if (found.length === 0) throw new ApiError("not_found", "No customer with this document in the ERP");
    return c.json({ data: found }, 200);
  });

  app.openapi(connectionStatusRoute, async (c) => {
    const { erp_type, customer_id } = c.req.valid("param");
    const erp = await sessionOf(c, erp_type);
    const status = unwrap(
      await erp.connectionStatus(customer_id, { contractId: c.req.valid("query").contract_id }),
    );
    return c.json(status, 200);
  });

  app.openapi(plansRoute, async (c) => {
    const erp = await sessionOf(c, c.req.valid("param").erp_type);
    const q = c.req.valid("query");
    const plans = unwrap(await erp.plans()).filter((p) =>
      q.active === undefined || p.active === (q.active === "true")
    );
    return c.json({ data: plans }, 200);
  });

  app.openapi(changePlanRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const body = c.req.valid("json");
    const erp = await sessionOf(c, erp_type);
    return c.json(unwrap(await erp.changePlan(id, body.plan_id, { contractId: body.contract_id })), 200);
  });

  app.openapi(unblockRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const erp = await sessionOf(c, erp_type);
    const p = c.get("principal")!;
    const unlocked = unwrap(
      await erp.unblock(id, {
        contractId: body.contract_id,
        requestedBy: p.kind === "user"
          ? `user:${p.userId}`
          : p.kind === "api_key"
          ? `api_key:${p.keyId}`
          : undefined,
      }),
    );
    return c.json(unlocked, 200);
  });
};
