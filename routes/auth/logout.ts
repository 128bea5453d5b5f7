import type { App } from "../../src/app.ts";
import { audit, requestMeta } from "../../src/audit/audit-log.ts";
import { denyAccessToken, revokeSession } from "../../src/auth/sessions.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { TAG } from "./schemas.ts";

export const route = defineRoute({ user: true }, {
  method: "post",
  path: "/api/v1/auth/logout",
  tags: [TAG],
  operationId: "logout",
  summary: "End this session",
  description:
    "Revokes the session (its refresh token stops working) and denies this access token until it would have expired.",
  responses: { 204: { description: "Signed out." } },
});

export const registerLogout = (app: App) =>
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const p = c.get("principal");
    if (p?.kind === "user") {
      await revokeSession(s.kv, p.sessionId);
      await denyAccessToken(s.kv, p.tokenId, p.tokenExpiresAt, s.clock.now());
      await audit(s, requestMeta(c), { action: "auth.logout", targetType: "session", targetId: p.sessionId });
    }
    return c.body(null, 204);
  });
