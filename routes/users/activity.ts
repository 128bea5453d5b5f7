import { z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { auditLog } from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { countOf } from "../../src/platform/db/query-helpers.ts";
import { allReads, readQuery, runReads } from "../../src/platform/db/reads.ts";
import { IdParam, jsonContent } from "../../src/http/openapi-schemas.ts";
import { offsetOf, page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { notFound } from "../../src/http/problem.ts";
import { userRead } from "../../src/users/manage-users.ts";
import { AuditEntrySchema, TAG } from "./schemas.ts";

export const ActivityQuery = PageQuery.extend({
  action: z.string().max(64).optional().openapi({ description: "Exact action, e.g. `auth.login`." }),
});

export const route = defineRoute({ permission: "read:audit" }, {
  method: "get",
  path: "/api/v1/users/{id}/activity",
  tags: [TAG],
  operationId: "getUserActivity",
  summary: "What a user did (audit log)",
  description: "Audit entries whose actor is the user, newest first.",
  request: { params: IdParam, query: ActivityQuery },
  responses: { 200: jsonContent(pageOf(AuditEntrySchema), "Entries, newest first.") },
});

type Entry = typeof auditLog.$inferSelect;
export const auditEntryView = (e: Entry) => ({
  id: e.id,
  action: e.action,
  actor_type: e.actorType,
  actor_id: e.actorId,
  target_type: e.targetType,
  target_id: e.targetId,
  ip: e.ip,
  user_agent: e.userAgent,
  request_id: e.requestId,
  metadata: e.metadata ?? null,
  created_at: e.createdAt.toISOString(),
});

export const registerUserActivity = (app: App) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const p = c.get("principal")!;
    const filters: SQL[] = [eq(auditLog.actorId, id), eq(auditLog.actorType, "user")];
    if (q.action) filters.push(eq(auditLog.action, q.action));
    const where = and(...filters);
    // The user (theirs to see, or a 404) and the page in one batch.
    const { user, rows, counted } = await runReads(
      c.get("services").database,
      allReads({
        user: userRead(p, id),
        rows: readQuery((db) =>
          db.select().from(auditLog).where(where).orderBy(desc(auditLog.createdAt), desc(auditLog.id))
            .limit(q.limit).offset(offsetOf(q))
        ),
        counted: readQuery((db) => countOf(db, auditLog, where)),
      }),
    );
    if (!user) throw notFound("User");
    const total = counted[0].n;
    return c.json(page(rows.map(auditEntryView), q, total), 200);
  });
