import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import {
  connect,
  connectionStatus,
  disconnect,
  getSettings,
  testConnection,
  updateSettings,
} from "../../src/erp/connections.ts";
import { erpNames } from "../../src/erp/model.ts";
import { SettingsPatchSchema } from "../../src/erp/settings.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { deferTo, erpTypeOf, tenantOf } from "./context.ts";
import {
  ConnectBody,
  ConnectionSchema,
  ErpTypeParam,
  NotConnectedSchema,
  SettingsResponse,
  TAG,
  TestSchema,
} from "./schemas.ts";

const notConnected = problemResponse("No connection of this ERP (`erp_not_connected`).");
const erpFailure = {
  502: problemResponse("The ERP failed or answered something unreadable (`erp_error`, with `erp_message`)."),
  504: problemResponse("The ERP did not answer within the timeout (`erp_timeout`)."),
};

export const connectRoute = defineRoute({ permission: "manage:erp" }, {
  method: "post",
  path: "/api/v1/erp/connect/{erp_type}",
  tags: [TAG],
  operationId: "connectErp",
  summary: "Connect an ERP",
  description:
    "Checks the credentials the ERP needs, **calls the ERP with them** and saves the connection only if it answers: IXC `api_url` + `api_key` (`id:hash`); SGP `api_url` + `api_key` (token) + `app`; MK `api_url` + `api_key` (user token) + `api_secret` (contra-senha); HubSoft `api_url` + `client_id` + `client_secret` + `username` + `password`; `sandbox` nothing (a demo ISP with a few hundred customers is created for the tenant). Credentials are encrypted at rest and only ever shown masked. The answer carries the webhook secret once. Connecting again replaces URL and credentials and keeps settings, webhook secret and logs.",
  request: { params: ErpTypeParam, body: jsonBody(ConnectBody) },
  responses: {
    201: jsonContent(ConnectionSchema, "Connected: the ERP answered."),
    422: problemResponse(
      "Missing credentials for this ERP, a URL that cannot be called, or the ERP refused them.",
    ),
    ...erpFailure,
  },
});

export const statusRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/status",
  tags: [TAG],
  operationId: "getErpStatus",
  summary: "Connection status",
  description:
    "The connection as last checked (status, last error, masked credentials, settings), what the ERP can and cannot do, and the circuit breaker's state. Does not call the ERP (`POST test` does).",
  request: { params: ErpTypeParam },
  responses: {
    200: jsonContent(ConnectionSchema.or(NotConnectedSchema), "The connection, or `connected: false`."),
  },
});

export const testRoute = defineRoute({ permission: "manage:erp" }, {
  method: "post",
  path: "/api/v1/erp/{erp_type}/test",
  tags: [TAG],
  operationId: "testErp",
  summary: "Test the connection",
  description:
    "Calls the ERP now with the stored credentials (outside the circuit breaker, which a success closes), records the outcome as the connection's status and says what worked.",
  request: { params: ErpTypeParam },
  responses: {
    200: jsonContent(TestSchema, "What the ERP answered; `ok: false` with the reason."),
    409: notConnected,
  },
});

export const getSettingsRoute = defineRoute({ permission: "read:erp" }, {
  method: "get",
  path: "/api/v1/erp/{erp_type}/settings",
  tags: [TAG],
  operationId: "getErpSettings",
  summary: "ERP settings",
  request: { params: ErpTypeParam },
  responses: {
    200: jsonContent(SettingsResponse, "The connection's settings, defaults filled in."),
    409: notConnected,
  },
});

export const putSettingsRoute = defineRoute({ permission: "manage:erp" }, {
  method: "put",
  path: "/api/v1/erp/{erp_type}/settings",
  tags: [TAG],
  operationId: "updateErpSettings",
  summary: "Change ERP settings",
  description:
    "Timeout, read retries, cache TTLs, circuit breaker, unlock policy, which invoice statuses count as open, the ERP's ids per ticket type and its ticket defaults (department, branch, process, origin). Nested objects are merged; `ticket_types` entries set to null are removed. `rotate_webhook_secret` issues a new secret, shown once.",
  request: { params: ErpTypeParam, body: jsonBody(SettingsPatchSchema) },
  responses: { 200: jsonContent(SettingsResponse, "The settings now."), 409: notConnected },
});

export const disconnectRoute = defineRoute({ permission: "manage:erp" }, {
  method: "delete",
  path: "/api/v1/erp/{erp_type}/disconnect",
  tags: [TAG],
  operationId: "disconnectErp",
  summary: "Disconnect an ERP",
  description:
    "The credentials and the webhook secret are erased; the connection's record, its call logs and its unlock history stay (and the sandbox ISP's data, for a later reconnect). Audited.",
  request: { params: ErpTypeParam },
  responses: { 204: { description: "Disconnected." }, 409: notConnected },
});

export const registerErpConnectionRoutes = (app: App) => {
  app.openapi(connectRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    tenantOf(c);
    const view = unwrap(
      await connect(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        type,
        c.req.valid("json"),
        deferTo(c),
      ),
    );
    return c.json(view, 201);
  });

  app.openapi(statusRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    const view = await connectionStatus(c.get("services"), tenantOf(c), type);
    if (!view) {
      return c.json({
        erp_type: type,
        name: erpNames[type],
        connected: false as const,
        status: "not_connected" as const,
      }, 200);
    }
    return c.json(view, 200);
  });

  app.openapi(testRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    const s = c.get("services");
    return c.json(unwrap(await testConnection(s, tenantOf(c), type, c.get("requestId"), deferTo(c))), 200);
  });

  app.openapi(getSettingsRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    return c.json(unwrap(await getSettings(c.get("services"), tenantOf(c), type)), 200);
  });

  app.openapi(putSettingsRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    tenantOf(c);
    const next = unwrap(
      await updateSettings(c.get("services"), requestMeta(c), c.get("principal")!, type, c.req.valid("json")),
    );
    return c.json(next, 200);
  });

  app.openapi(disconnectRoute, async (c) => {
    const type = erpTypeOf(c.req.valid("param").erp_type);
    tenantOf(c);
    unwrap(await disconnect(c.get("services"), requestMeta(c), c.get("principal")!, type));
    return c.body(null, 204);
  });
};
