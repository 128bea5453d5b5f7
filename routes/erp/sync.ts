import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { findSync, listSyncs, MAX_SYNC_DOCUMENTS, startSync, syncView } from "../../src/erp/sync.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { idempotent } from "../../src/http/idempotency.ts";
import { acceptedContent, IdParam, jsonContent } from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { erpTypeOf, tenantOf } from "./context.ts";
import { erpResponses } from "./customers.ts";
import { ErpTypeParam, SyncSchema, TAG } from "./schemas.ts";

export const SyncBody = z.object({
  documents: z.array(z.string().trim().min(11).max(32)).min(1).max(MAX_SYNC_DOCUMENTS).optional().openapi({
    description:
      "Bring in just these CPFs/CNPJs (every ERP can). Without it, every customer of the ERP (IXC and the sandbox; the others cannot list them and answer 501).",
    example: ["20956041566"],
  }),
}).openapi("ErpSyncRequest");

export const startSyncRoute = defineRoute({ permission: "manage:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/sync",
  tags: [TAG],
  operationId: "syncErp",
  summary: "Sync ERP customers into contacts",
  description:
    "A background job: each customer with a phone becomes (or updates) the contact of its first mobile, with the ERP's id, document and status in `attributes` (`erp_customer_id`, `erp_document`, `erp_status`, `erp_type`) and the tags the sync manages set afresh (`inadimplente`, `bloqueado`, `reduzido`, `cancelado`, `plano:<name>`); the team's own tags stay. Follow it with `GET sync/{id}`: counters, progress and a report of the customers skipped and why. One sync per ERP at a time: asking again while one runs answers that one.",
  middleware: [idempotent],
  request: {
    params: ErpTypeParam,
    body: { required: false, content: { "application/json": { schema: SyncBody } } },
  },
  responses: {
    202: acceptedContent(SyncSchema, "Queued.", "/api/v1/erp/{erp_type}/sync/{id}"),
    200: jsonContent(SyncSchema, "A sync of this ERP is already running: this one (`reused`)."),
    ...erpResponses,
  },
});

export const listSyncsRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/sync",
  tags: [TAG],
  operationId: "listErpSyncs",
  summary: "Syncs of this ERP",
  request: { params: ErpTypeParam, query: PageQuery },
  responses: { 200: jsonContent(pageOf(SyncSchema), "Newest first.") },
});

export const getSyncRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/sync/{id}",
  tags: [TAG],
  operationId: "getErpSync",
  summary: "A sync's progress and report",
  request: { params: ErpTypeParam.merge(IdParam) },
  responses: { 200: jsonContent(SyncSchema, "The sync.") },
});

export const registerErpSyncRoutes = (app: App) => {
  app.openapi(startSyncRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    tenantOf(c);
    const body = c.req.valid("json") ?? {};
    const { sync, reused } = unwrap(
      await startSync(c.get("services"), requestMeta(c), c.get("principal")!, type, {
        documents: body.documents,
      }),
    );
    if (reused) return c.json({ ...sync, reused }, 200);
    return c.json(sync, 202, { Location: `/api/v1/erp/${type}/sync/${sync.id}` });
  });

  app.openapi(listSyncsRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    const q = c.req.valid("query");
    const { data, total } = await listSyncs(c.get("services"), tenantOf(c), type, q);
    return c.json(page(data, q, total), 200);
  });

  app.openapi(getSyncRoute, async (c) => {
    const { erp_type, id } = c.req.valid("param");
    const type = erpTypeOf(erp_type);
    const row = await findSync(c.get("services"), tenantOf(c), type, id);
    if (!row) throw notFound("Sync");
    return c.json(syncView(row), 200);
  });
};
