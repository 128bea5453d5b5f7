import { z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { erpSyncs } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { offsetOf, type PageParams } from "../http/pagination.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import { PermanentJobError } from "../platform/jobs/jobs.ts";
import type { Services } from "../services.ts";
import { toE164 } from "../whatsapp/phone.ts";
import { unsupportedOf } from "./adapters/registry.ts";
import { documentOf, maskDocument, parseDocument } from "../core/br-documents.ts";
import { erpFor, loadConnection } from "./erp-service.ts";
import { type ErpCustomer, erpNames, type ErpType } from "./model.ts";

/**
 * Sync: the ERP's customers into contacts, as a background job with progress and a report
 * (like contact imports, src/contacts/import/). A full sync pages through the ERP where it can
 * list its customers (IXC, the sandbox); `documents` mode looks up the CPFs/CNPJs given, which
 * every ERP can do. Each page is applied in one statement that upserts the contacts by phone
 * and moves the counters and the cursor only if the cursor is still where the page began, so a
 * retried or duplicated job run never counts a page twice.
 *
 * On each contact: the first mobile of the customer is the phone (E.164), name and e-mail fill
 * empty ones, the ERP's id, document and status go into attributes (`erp_type`,
 * `erp_customer_id`, `erp_document`, `erp_status`), and the tags the sync manages are set
 * afresh: `inadimplente` (overdue or blocked), `bloqueado`, `reduzido`, `cancelado` and one
 * `plano:<name>` per contract. Other tags are the team's and stay.
 */

type SyncRow = typeof erpSyncs.$inferSelect;

const RUN_BUDGET_MS = 15_000;
const DOCUMENTS_PER_STEP = 10;
const REPORT_MAX = 500;
export const MAX_SYNC_DOCUMENTS = 5000;

export function syncView(r: SyncRow) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const total = r.total ?? (r.mode === "documents" ? r.documents?.length ?? 0 : null);
  return {
    id: r.id,
    erp_type: r.erpType,
    mode: r.mode,
    status: r.status,
    total,
    processed: r.processed,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    skipped: r.skipped,
    progress: total
      ? Math.min(1, Math.round((r.processed / total) * 1000) / 1000)
      : r.status === "completed"
      ? 1
      : null,
    report: r.report,
    error: r.error,
    created_at: r.createdAt.toISOString(),
    started_at: iso(r.startedAt),
    completed_at: iso(r.completedAt),
  };
}

export type SyncView = ReturnType<typeof syncView>;

export async function startSync(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  type: ErpType,
  input: { documents?: string[] },
): Promise<Result<{ sync: SyncView; reused: boolean }>> {
  const tenantId = p.tenantId!;
  const connection = await loadConnection(s, tenantId, type);
  if (!connection?.credentials) {
    return fail(
      "erp_not_connected",
      `No ${erpNames[type]} is connected; connect it with POST /api/v1/erp/connect/${type}`,
    );
  }
  let documents: string[] | null = null;
  if (input.documents) {
    const errors = input.documents.flatMap((d, i) => {
      const parsed = parseDocument(d);
      return parsed.ok ? [] : [{ path: `body.documents.${i}`, message: parsed.reason }];
    });
    if (errors.length) {
      return fail("validation_failed", `${errors.length} documents are not valid CPFs/CNPJs`, { errors });
    }
    documents = [
      ...new Set(
        input.documents.map((d) =>
          (parseDocument(d) as { ok: true; document: { value: string } }).document.value
        ),
      ),
    ];
  } else if (unsupportedOf(type).list_customers) {
    return fail("erp_unsupported", unsupportedOf(type).list_customers!);
  }
  const now = s.clock.now();
  const row: SyncRow = {
    id: uuidv7(),
    tenantId,
    erpType: type,
    createdBy: p.kind === "user" ? p.userId : null,
    mode: documents ? "documents" : "full",
    documents,
    status: "queued",
    cursor: null,
    runs: 0,
    total: documents?.length ?? null,
    processed: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    report: [],
    error: null,
    startedAt: null,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await s.database.atomic((db) =>
      [
        db.insert(erpSyncs).values(row),
        auditInsert(db, meta, {
          action: "erp.sync",
          targetType: "erp_sync",
          targetId: row.id,
          metadata: { erp_type: type, mode: row.mode, documents: documents?.length ?? null },
        }, now),
      ] as const
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const [running] = await s.database.db.select().from(erpSyncs).where(and(
      eq(erpSyncs.tenantId, tenantId),
      eq(erpSyncs.erpType, type),
      sql`${erpSyncs.status} in ('queued', 'running')`,
    ));
    if (running) return ok({ sync: syncView(running), reused: true });
    throw err;
  }
  await s.jobs.enqueue("erp.sync", { sync_id: row.id, run: 0 }, { dedupeId: `erp.sync:${row.id}:0` });
  return ok({ sync: syncView(row), reused: false });
}

export async function findSync(s: Services, tenantId: string, type: ErpType, id: string) {
  const [row] = await s.database.db.select().from(erpSyncs)
    .where(and(eq(erpSyncs.id, id), eq(erpSyncs.tenantId, tenantId), eq(erpSyncs.erpType, type)));
  return row;
}

export async function listSyncs(s: Services, tenantId: string, type: ErpType, q: PageParams) {
  const where = and(eq(erpSyncs.tenantId, tenantId), eq(erpSyncs.erpType, type));
  // Page and total in one batch: one round trip on Neon.
  const [rows, [{ n }]] = await s.database.atomic((db) =>
    [
      db.select().from(erpSyncs).where(where).orderBy(desc(erpSyncs.createdAt)).limit(q.limit).offset(
        offsetOf(q),
      ),
      db.select({ n: sql<number>`count(*)::int` }).from(erpSyncs).where(where),
    ] as const
  );
  return { data: rows.map(syncView), total: n };
}

const MANAGED_TAGS = ["inadimplente", "bloqueado", "reduzido", "cancelado"];

/** What a customer becomes as a contact; null (and why) when it cannot be one. */
export function contactOf(c: ErpCustomer & { overdue?: boolean | null }, type: ErpType) {
  const phone = c.phones.map((p) => toE164(p)).find((p): p is string => !!p && /^\+55\d{2}9\d{8}$/.test(p)) ??
    c.phones.map((p) => toE164(p)).find((p): p is string => !!p);
  if (!phone) return { skip: "no phone number" };
  const active = c.contracts.filter((k) => k.status !== "cancelled");
  const tags = [
    ...(c.overdue || c.status === "blocked" ? ["inadimplente"] : []),
    ...(c.status === "blocked" ? ["bloqueado"] : []),
    ...(c.status === "reduced" ? ["reduzido"] : []),
    ...(c.status === "cancelled" ? ["cancelado"] : []),
    ...new Set(active.map((k) => k.plan.name).filter((n): n is string => !!n).map((n) => `plano:${n}`)),
  ];
  return {
    contact: {
      phone,
      name: c.name || null,
      email: c.email,
      tags,
      attributes: {
        erp_type: type,
        erp_customer_id: c.id,
        erp_document: c.document,
        erp_status: c.status,
      },
    },
  };
}

/**
 * Applies one page: contacts upserted by phone, managed tags replaced, counters and cursor
 * moved, in one statement that does nothing if the cursor moved already (a retried run).
 */
async function applyPage(
  s: Services,
  sync: SyncRow,
  from: string | null,
  to: string | null,
  customers: (ErpCustomer & { overdue?: boolean | null })[],
  extraSkipped: Record<string, unknown>[],
  done: boolean,
  total: number | null,
): Promise<boolean> {
  const type = sync.erpType;
  const rows: Record<string, unknown>[] = [];
  const report = [...extraSkipped];
  const byPhone = new Set<string>();
  for (const c of customers) {
    const doc = documentOf(c.document);
    const mapped = contactOf(c, type);
    if ("skip" in mapped) {
      report.push({ customer_id: c.id, document: doc ? maskDocument(doc) : null, reason: mapped.skip });
      continue;
    }
    // Two customers with one phone (an ERP with a record per contract): the first one wins.
    if (byPhone.has(mapped.contact.phone)) continue;
    byPhone.add(mapped.contact.phone);
    rows.push({ id: uuidv7(), ...mapped.contact });
  }
  const now = s.clock.now().toISOString();
  const managed = sql`array[${sql.join(MANAGED_TAGS.map((t) => sql`${t}`), sql`, `)}]::text[]`;
  // The team's tags stay; the ones the sync manages are replaced by this sync's.
  const tags =
    sql`array(select t from unnest(c.tags) t where not t = any(${managed}) and t not like 'plano:%')
    || excluded.tags`;
  const [row] = await s.database.rows<{ id: string }>(sql`
    with cur as (select cursor from ${erpSyncs} where id = ${sync.id}),
    src as (
      select r.* from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
        id uuid, phone text, name text, email text, tags jsonb, attributes jsonb)
      where (select cursor from cur) is not distinct from ${from}
    ),
    up as (
      insert into contacts as c (id, tenant_id, phone, wa_id, name, email, tags, attributes, created_at, updated_at)
      select id, ${sync.tenantId}::uuid, phone, substr(phone, 2), name, email,
        array(select jsonb_array_elements_text(tags)), attributes, ${now}::timestamptz, ${now}::timestamptz
      from src
      on conflict (tenant_id, phone) where deleted_at is null do update set
        name = coalesce(c.name, excluded.name),
        email = coalesce(c.email, excluded.email),
        tags = ${tags},
        attributes = c.attributes || excluded.attributes,
        updated_at = ${now}::timestamptz
      where (c.name, c.email, c.tags, c.attributes) is distinct from (
        coalesce(c.name, excluded.name), coalesce(c.email, excluded.email), ${tags},
        c.attributes || excluded.attributes)
      returning (xmax = 0) as inserted
    ),
    n as (
      select (select count(*) from src)::int as n_valid,
        (select count(*) from up where inserted)::int as n_created,
        (select count(*) from up where not inserted)::int as n_updated
    )
    update ${erpSyncs} set
      cursor = ${to},
      processed = processed + ${customers.length + extraSkipped.length},
      created = created + n.n_created,
      updated = updated + n.n_updated,
      unchanged = unchanged + n.n_valid - n.n_created - n.n_updated,
      skipped = skipped + ${customers.length + extraSkipped.length} - n.n_valid,
      report = case when jsonb_array_length(report) < ${REPORT_MAX}
        then report || ${JSON.stringify(report.slice(0, REPORT_MAX))}::jsonb else report end,
      total = coalesce(${total}::int, total),
      status = ${done ? "completed" : "running"},
      started_at = coalesce(started_at, ${now}::timestamptz),
      completed_at = ${done ? sql`${now}::timestamptz` : sql`null`},
      updated_at = ${now}::timestamptz
    from n
    where ${erpSyncs.id} = ${sync.id} and ${erpSyncs.cursor} is not distinct from ${from}
    returning ${erpSyncs.id}`);
  return row !== undefined;
}

export function registerErpSyncJob(s: Services): void {
  s.jobRegistry.register(
    "erp.sync",
    z.object({ sync_id: z.uuid(), run: z.number().int().min(0) }),
    async ({ sync_id, run }, ctx) => {
      const [sync] = await s.database.db.select().from(erpSyncs).where(eq(erpSyncs.id, sync_id));
      if (!sync || sync.status === "completed" || sync.status === "failed") return;
      const finishWith = async (error: string) => {
        await s.database.db.update(erpSyncs).set({ status: "failed", error, updatedAt: s.clock.now() })
          .where(eq(erpSyncs.id, sync_id));
      };
      const erp = await erpFor(s, sync.tenantId, { type: sync.erpType });
      if (!erp.ok) {
        await finishWith(`The ERP was disconnected before the sync finished: ${erp.failure.detail}`);
        return;
      }
      const started = performance.now();
      let current = sync;
      try {
        for (;;) {
          const from = current.cursor;
          let step: {
            customers: (ErpCustomer & { overdue?: boolean | null })[];
            skipped: Record<string, unknown>[];
            next: string | null;
            total: number | null;
          };
          if (current.mode === "full") {
            const page = await erp.value.listCustomers(from);
            if (!page.ok) throw new SyncStepError(page.failure.code, page.failure.detail);
            step = {
              customers: page.value.customers,
              skipped: [],
              next: page.value.next,
              total: page.value.total,
            };
          } else {
            const docs = current.documents ?? [];
            const start = Number(from ?? 0);
            const batch = docs.slice(start, start + DOCUMENTS_PER_STEP);
            const customers: ErpCustomer[] = [];
            const skipped: Record<string, unknown>[] = [];
            for (const d of batch) {
              const found = await erp.value.findCustomers(d);
              if (!found.ok) throw new SyncStepError(found.failure.code, found.failure.detail);
              if (found.value.length === 0) {
                const doc = documentOf(d);
                skipped.push({
                  customer_id: null,
                  document: doc ? maskDocument(doc) : null,
                  reason: "not found in the ERP",
                });
              }
              customers.push(...found.value);
            }
            const end = start + batch.length;
            step = { customers, skipped, next: end < docs.length ? String(end) : null, total: docs.length };
          }
          const done = step.next === null;
          const applied = await applyPage(
            s,
            current,
            from,
            step.next ?? "done",
            step.customers,
            step.skipped,
            done,
            step.total,
          );
          const [fresh] = await s.database.db.select().from(erpSyncs).where(eq(erpSyncs.id, sync_id));
          if (!applied || !fresh || fresh.status === "completed" || fresh.status === "failed") return;
          current = fresh;
          if (performance.now() - started > RUN_BUDGET_MS) {
            await s.database.db.update(erpSyncs).set({ runs: run + 1 }).where(eq(erpSyncs.id, sync_id));
            await s.jobs.enqueue("erp.sync", { sync_id, run: run + 1 }, {
              dedupeId: `erp.sync:${sync_id}:${run + 1}`,
            });
            return;
          }
        }
      } catch (err) {
        if (err instanceof SyncStepError && err.code === "erp_unsupported") {
          await finishWith(err.message);
          throw new PermanentJobError(err.message);
        }
        if (ctx.attempt >= ctx.maxAttempts) {
          await finishWith(
            `The sync stopped: ${
              (err as Error).message
            }. The contacts synced so far are kept; start a new sync to finish.`,
          );
        }
        throw err;
      }
    },
    { maxAttempts: 5 },
  );
}

class SyncStepError extends Error {
  constructor(readonly code: string, detail: string) {
    super(detail);
    this.name = "SyncStepError";
  }
}
