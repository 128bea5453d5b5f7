import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { randomToken } from "../core/crypto.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import { resultRows } from "../platform/db/database.ts";
import { insertWhere } from "../platform/db/insert-where.ts";
import { pageAndTotal } from "../platform/db/query-helpers.ts";
import { mapRead, readQuery, type Reads, runReads } from "../platform/db/reads.ts";
import { outboundUrlProblem } from "../platform/http/outbound-url.ts";
import type { Services } from "../services.ts";
import { forgetEndpoints } from "./endpoint-cache.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** Endpoints per tenant: enough for every integration, few enough that fan-out stays cheap. */
export const MAX_ENDPOINTS = 20;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function endpointView(w: EndpointRow) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    events: w.events,
    secret_hint: w.secretHint,
    is_active: w.isActive,
    disabled_at: iso(w.disabledAt),
    disabled_reason: w.disabledReason,
    failing_since: iso(w.failingSince),
    last_success_at: iso(w.lastSuccessAt),
    last_failure_at: iso(w.lastFailureAt),
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export type EndpointView = ReturnType<typeof endpointView>;

const live = (p: Principal) =>
  and(eq(webhookEndpoints.tenantId, p.tenantId!), isNull(webhookEndpoints.deletedAt))!;

/** The caller's endpoint, as a read to batch with what is shown with it. */
export function endpointRead(p: Principal, id: string): Reads<EndpointRow | undefined> {
  return mapRead(
    readQuery((db) =>
      db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), live(p))).limit(1)
    ),
    ([row]) => row,
  );
}

export function findEndpoint(s: Services, p: Principal, id: string): Promise<EndpointRow | undefined> {
  return runReads(s.database, endpointRead(p, id));
}

export async function listEndpoints(s: Services, p: Principal, q: PageParams) {
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(webhookEndpoints).where(live(p))
        .orderBy(desc(webhookEndpoints.createdAt)).limit(q.limit).offset(offsetOf(q)),
    webhookEndpoints,
    live(p),
  );
  return { data: rows.map(endpointView), total };
}

const hint = (secret: string) => `${secret.slice(0, 6)}…${secret.slice(-4)}`;
const newSecret = () => `whsec_${randomToken(24)}`;

function urlProblem(s: Services, url: string) {
  const problem = outboundUrlProblem(url, s.config.allowPrivateTargets);
  return problem
    ? fail<never>("validation_failed", `Cannot deliver to this URL: ${problem}`, {
      errors: [{ path: "body.url", message: problem }],
    })
    : null;
}

export interface EndpointInput {
  url: string;
  events: string[];
  secret?: string;
  description?: string | null;
  is_active?: boolean;
}

/**
 * A new endpoint. Without a `secret` one is generated and shown in this answer only; a secret
 * the caller chose is never sent back. Either way it is kept sealed. At most `MAX_ENDPOINTS` per tenant, checked in the inserting statement.
 */
export async function createEndpoint(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: EndpointInput,
): Promise<Result<EndpointView & { secret?: string }>> {
  const bad = urlProblem(s, input.url);
  if (bad) return bad;
  const secret = input.secret ?? newSecret();
  const now = s.clock.now();
  const row: EndpointRow = {
    id: uuidv7(),
    tenantId: p.tenantId!,
    url: input.url,
    description: input.description?.trim() || null,
    events: [...new Set(input.events)],
    secret: await s.secrets.seal(secret),
    secretHint: hint(secret),
    isActive: input.is_active ?? true,
    disabledAt: null,
    disabledReason: null,
    failingSince: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    createdBy: p.kind === "user" ? p.userId : null,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const [inserted] = await s.database.atomic((db) =>
    [
      insertWhere(
        db,
        webhookEndpoints,
        row,
        sql`(select count(*) from ${webhookEndpoints} where ${live(p)}) < ${MAX_ENDPOINTS}`,
      ),
      auditInsertWhere(
        db,
        meta,
        {
          action: "webhook.create",
          targetType: "webhook",
          targetId: row.id,
          metadata: { url: row.url, events: row.events },
        },
        now,
        sql`exists (select 1 from ${webhookEndpoints} where ${webhookEndpoints.id} = ${row.id})`,
      ),
    ] as const
  );
  if (resultRows(inserted).length === 0) {
    return fail("quota_exceeded", `A tenant can have ${MAX_ENDPOINTS} webhook endpoints; remove one first`, {
      extensions: { limit: "webhook_endpoints", max: MAX_ENDPOINTS },
    });
  }
  forgetEndpoints(s, row.tenantId);
  // A secret we generated is shown this once; one the caller chose is never sent back.
  return ok({ ...endpointView(row), ...(input.secret ? {} : { secret }) });
}

export interface EndpointChanges {
  url?: string;
  events?: string[];
  secret?: string;
  rotate_secret?: boolean;
  description?: string | null;
  is_active?: boolean;
}

/**
 * Changes an endpoint. A new `secret` (or `rotate_secret`) replaces the old one at once and is
 * shown in this answer only. Turning an endpoint back on clears its failure record, so a day of
 * failures has to happen again before it is switched off.
 */
export async function updateEndpoint(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: EndpointChanges,
): Promise<Result<EndpointView & { secret?: string }>> {
  const current = await findEndpoint(s, p, id);
  if (!current) return fail("not_found", "Webhook not found");
  if (input.url !== undefined) {
    const bad = urlProblem(s, input.url);
    if (bad) return bad;
  }
  const now = s.clock.now();
  const secret = input.secret ?? (input.rotate_secret ? newSecret() : undefined);
  const changes: Partial<EndpointRow> = {
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.events !== undefined ? { events: [...new Set(input.events)] } : {}),
    ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
    ...(secret ? { secret: await s.secrets.seal(secret), secretHint: hint(secret) } : {}),
    ...(input.is_active === true && !current.isActive
      ? { isActive: true, disabledAt: null, disabledReason: null, failingSince: null }
      : {}),
    ...(input.is_active === false && current.isActive ? { isActive: false, disabledAt: now } : {}),
  };
  const [rows] = await s.database.atomic((db) =>
    [
      db.update(webhookEndpoints).set({ ...changes, updatedAt: now })
        .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt))).returning(),
      auditInsertWhere(
        db,
        meta,
        {
          action: "webhook.update",
          targetType: "webhook",
          targetId: id,
          metadata: {
            fields: Object.keys(input).filter((k) => k !== "secret"),
            ...(secret ? { secret_rotated: true } : {}),
          },
        },
        now,
        sql`exists (select 1 from ${webhookEndpoints} where ${
          and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.updatedAt, now))
        })`,
      ),
    ] as const
  );
  if (rows.length === 0) return fail("not_found", "Webhook not found");
  forgetEndpoints(s, current.tenantId);
  return ok({ ...endpointView(rows[0]), ...(input.rotate_secret && secret ? { secret } : {}) });
}

/**
 * Removes an endpoint (soft: its delivery log stays readable in the audit trail); deliveries
 * still waiting are cancelled in the same batch.
 */
export async function deleteEndpoint(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const current = await findEndpoint(s, p, id);
  if (!current) return fail("not_found", "Webhook not found");
  const now = s.clock.now();
  const happened = sql`exists (select 1 from ${webhookEndpoints} where ${
    and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.deletedAt, now))
  })`;
  const [deleted] = await s.database.atomic((db) =>
    [
      db.update(webhookEndpoints).set({ deletedAt: now, isActive: false, updatedAt: now })
        .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt))).returning({
          id: webhookEndpoints.id,
        }),
      db.update(webhookDeliveries).set({
        status: "cancelled",
        lastError: "endpoint deleted",
        completedAt: now,
        updatedAt: now,
      }).where(and(eq(webhookDeliveries.webhookId, id), eq(webhookDeliveries.status, "pending"), happened)),
      auditInsertWhere(
        db,
        meta,
        {
          action: "webhook.delete",
          targetType: "webhook",
          targetId: id,
          metadata: { url: current.url },
        },
        now,
        happened,
      ),
    ] as const
  );
  if (deleted.length === 0) return fail("not_found", "Webhook not found");
  forgetEndpoints(s, current.tenantId);
  return ok(null);
}
