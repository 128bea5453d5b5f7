import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { IdParam, problemResponse } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { deleteUser } from "../../src/users/manage-users.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ permission: "write:users" }, {
  method: "delete",
  path: "/api/v1/users/{id}",
  tags: [TAG],
  operationId: "deleteUser",
  summary: "Delete a user",
  description:
    "Soft delete: the account stops working at once and its email is free again; audit entries keep naming it. Not yourself, not the last owner.",
  request: { params: IdParam },
  responses: {
    204: { description: "Deleted." },
    409: problemResponse("The last owner cannot be deleted."),
  },
});

export const registerDeleteUser = (app: App) =>
  app.openapi(route, async (c) => {
    unwrap(await deleteUser(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id));
    return c.body(null, 204);
  });
