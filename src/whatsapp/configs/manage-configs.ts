import { and, asc, desc, eq, isNull, ne, type SQL, sql } from "drizzle-orm";
import { tenants, whatsappConfigs } from "../../../db/schema/index.ts";
import { auditInsert, auditInsertWhere, type RequestMeta } from "../../audit/audit-log.ts";
import type { Principal } from "../../auth/principal.ts";
import { randomToken, sha256Hex } from "../../core/crypto.ts";
import { uuidv7 } from "../../core/ids.ts";
import { fail, ok, type Result } from "../../core/result.ts";
import type { PageParams } from "../../http/pagination.ts";
import { resultRows } from "../../platform/db/database.ts";
import { isUniqueViolation } from "../../platform/db/errors.ts";
import { insertWhere } from "../../platform/db/insert-where.ts";
import { countRows, pageAndTotal } from "../../platform/db/query-helpers.ts";
import { outboundUrlProblem } from "../../platform/http/outbound-url.ts";
import type { Services } from "../../services.ts";
import { limitsOf } from "../../tenants/plans.ts";
import { forgetNumbers, numbersByTenant } from "../number-cache.ts";
import { toE164 } from "../phone.ts";
import type { ConfigRow, Credentials } from "../providers/provider.ts";
import { evolution, providerContext } from "../providers/registry.ts";
import { type ConfigView, configView } from "./config-view.ts";

export const webhookUrl = (s: Services) => `${s.config.publicBaseUrl}/api/v1/whatsapp/webhook`;

const live = (tenantId: string) =>
  and(eq(whatsappConfigs.tenantId, tenantId), isNull(whatsappConfigs.deletedAt))!;

export async function findConfig(s: Services, p: Principal, id: string): Promise<ConfigRow | undefined> {
  const [row] = await s.database.db.select().from(whatsappConfigs)
    .where(and(eq(whatsappConfigs.id, id), live(p.tenantId!)));
  return row;
}

export async function viewOf(s: Services, c: ConfigRow): Promise<ConfigView> {
  return configView(c, await s.secrets.open<Credentials>(c.credentials), webhookUrl(s));
}

export async function listConfigs(
  s: Services,
  p: Principal,
  q: PageParams & { status?: "active" | "inactive"; api_type?: ConfigRow["apiType"] },
) {
  const filters: SQL[] = [live(p.tenantId!)];
  if (q.status) filters.push(eq(whatsappConfigs.isActive, q.status === "active"));
  if (q.api_type) filters.push(eq(whatsappConfigs.apiType, q.api_type));
  const where = and(...filters);
  const { rows, total } = await pageAndTotal(
    s.database,
    (db) =>
      db.select().from(whatsappConfigs).where(where)
        .orderBy(desc(whatsappConfigs.isDefault), asc(whatsappConfigs.createdAt))
        .limit(q.limit).offset((q.page - 1) * q.limit),
    whatsappConfigs,
    where,
  );
  return { rows: await Promise.all(rows.map((r) => viewOf(s, r))), total };
}

interface CommonInput {
  name: string;
  phone_number: string;
  is_default?: boolean;
  throughput_per_second?: number;
}

export type CreateConfigInput =
  | CommonInput & {
    api_type: "official";
    phone_number_id: string;
    business_account_id?: string;
    access_token: string;
    app_secret?: string;
    verify_token?: string;
  }
  | CommonInput & { api_type: "evolution"; instance_name: string; base_url: string; api_key: string }
  | CommonInput & { api_type: "sandbox" };

const invalid = (path: string, message: string) =>
  fail<never>("validation_failed", message, { errors: [{ path, message }] });

/**
 * Adds a number. Credentials are sealed before they touch the database; the plan's number limit
 * is checked in the inserting statement. The first number of a tenant becomes its default.
 */
export async function createConfig(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: CreateConfigInput,
): Promise<Result<ConfigView & { verify_token?: string }>> {
  const tenantId = p.tenantId!;
  const phone = toE164(input.phone_number);
  if (!phone) return invalid("body.phone_number", "Not a valid phone number");
  if (input.api_type === "evolution") {
    const problem = outboundUrlProblem(input.base_url, s.config.allowPrivateTargets);
    if (problem) return invalid("body.base_url", `Cannot use this URL: ${problem}`);
  }
  const id = uuidv7();
  const now = s.clock.now();
  // A verify token the tenant did not choose is generated and shown once, in this answer.
  const verifyToken = input.api_type === "official" ? input.verify_token ?? randomToken(18) : undefined;
  const credentials: Credentials = input.api_type === "official"
    ? { access_token: input.access_token, app_secret: input.app_secret, verify_token: verifyToken }
    : input.api_type === "evolution"
    ? { api_key: input.api_key }
    : {};
  const [tenant] = await s.database.db.select({ plan: tenants.plan }).from(tenants).where(
    eq(tenants.id, tenantId),
  );
  const limit = limitsOf(tenant.plan).whatsapp_numbers;
  const existing = await countRows(s.database.db, whatsappConfigs, live(tenantId));
  const row = {
    id,
    tenantId,
    name: input.name.trim(),
    phoneNumber: phone,
    apiType: input.api_type,
    isActive: true,
    isDefault: existing === 0 || input.is_default === true,
    phoneNumberId: input.api_type === "official"
      ? input.phone_number_id
      : input.api_type === "sandbox"
      ? `sandbox:${id}`
      : null,
    businessAccountId: input.api_type === "official" ? input.business_account_id ?? null : null,
    instanceName: input.api_type === "evolution" ? input.instance_name : null,
    baseUrl: input.api_type === "evolution" ? input.base_url.replace(/\/+$/, "") : null,
    credentials: await s.secrets.seal(credentials),
    verifyTokenHash: verifyToken ? await sha256Hex(verifyToken) : null,
    connectionState: input.api_type === "sandbox" ? "connected" as const : "unknown" as const,
    throughputPerSecond: input.throughput_per_second ?? 80,
    createdAt: now,
    updatedAt: now,
  };
  let inserted: unknown[];
  try {
    const results = await s.database.atomic((db) =>
      [
        // Only one default per tenant: the new default takes the place of the old one.
        db.update(whatsappConfigs).set({ isDefault: false, updatedAt: now })
          .where(and(live(tenantId), eq(whatsappConfigs.isDefault, row.isDefault))),
        insertWhere(
          db,
          whatsappConfigs,
          row,
          sql`(select count(*) from ${whatsappConfigs} where ${live(tenantId)}) < ${limit}`,
        ),
        auditInsertWhere(
          db,
          meta,
          {
            action: "whatsapp_config.create",
            targetType: "whatsapp_config",
            targetId: id,
            metadata: { name: row.name, phone_number: phone, api_type: row.apiType },
          },
          now,
          sql`exists (select 1 from ${whatsappConfigs} where ${whatsappConfigs.id} = ${id})`,
        ),
      ] as const
    );
    inserted = resultRows(results[1]);
  } catch (err) {
    if (isUniqueViolation(err)) {
      return fail("conflict", "This number (or its phone number id or instance) is already connected");
    }
    throw err;
  }
  if (inserted.length === 0) {
    // The default flag was cleared in the same batch; a refused insert must not leave none.
    await restoreDefault(s, tenantId);
    return fail(
      "quota_exceeded",
      `The ${tenant.plan} plan allows ${limit} WhatsApp numbers; upgrade to add more`,
      {
        extensions: { limit: "whatsapp_numbers", max: limit },
      },
    );
  }
  forgetNumbers();
  const config = (await findConfig(s, p, id))!;
  if (config.apiType === "evolution") await pointEvolutionWebhook(s, config);
  return ok({
    ...await viewOf(s, config),
    ...(verifyToken && !("verify_token" in input && input.verify_token) ? { verify_token: verifyToken } : {}),
  });
}

/** Keeps exactly one default among the live numbers of a tenant (the oldest active one). */
async function restoreDefault(s: Services, tenantId: string): Promise<void> {
  const { db } = s.database;
  const [hasDefault] = await db.select({ id: whatsappConfigs.id }).from(whatsappConfigs)
    .where(and(live(tenantId), eq(whatsappConfigs.isDefault, true))).limit(1);
  if (hasDefault) return;
  const [oldest] = await db.select({ id: whatsappConfigs.id }).from(whatsappConfigs)
    .where(live(tenantId)).orderBy(desc(whatsappConfigs.isActive), asc(whatsappConfigs.createdAt)).limit(1);
  if (oldest) {
    await db.update(whatsappConfigs).set({ isDefault: true }).where(eq(whatsappConfigs.id, oldest.id));
  }
}

/** Tells the Evolution instance to send its events here, authenticated by its own key. */
async function pointEvolutionWebhook(s: Services, config: ConfigRow): Promise<void> {
  const res = await evolution.setWebhook(await providerContext(s, config), webhookUrl(s));
  if (!res.ok) {
    await s.database.db.update(whatsappConfigs)
      .set({
        lastError: `webhook not set: ${res.error.title}${res.error.detail ? ` (${res.error.detail})` : ""}`,
      })
      .where(eq(whatsappConfigs.id, config.id));
  }
}

export interface UpdateConfigInput {
  name?: string;
  is_active?: boolean;
  is_default?: boolean;
  throughput_per_second?: number;
  phone_number_id?: string;
  business_account_id?: string | null;
  access_token?: string;
  app_secret?: string;
  verify_token?: string;
  instance_name?: string;
  base_url?: string;
  api_key?: string;
}

export async function updateConfig(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: UpdateConfigInput,
): Promise<Result<ConfigView>> {
  const config = await findConfig(s, p, id);
  if (!config) return fail("not_found", "WhatsApp number not found");
  const official = config.apiType === "official";
  const evolutionType = config.apiType === "evolution";
  const wrongType = Object.keys(input).find((k) =>
    (!official &&
      ["phone_number_id", "business_account_id", "access_token", "app_secret", "verify_token"].includes(k)) ||
    (!evolutionType && ["instance_name", "base_url", "api_key"].includes(k))
  );
  if (wrongType) return invalid(`body.${wrongType}`, `Not a setting of ${config.apiType} numbers`);
  if (input.base_url) {
    const problem = outboundUrlProblem(input.base_url, s.config.allowPrivateTargets);
    if (problem) return invalid("body.base_url", `Cannot use this URL: ${problem}`);
  }
  const creds = await s.secrets.open<Credentials>(config.credentials);
  const newCreds: Credentials = {
    ...creds,
    ...(input.access_token ? { access_token: input.access_token } : {}),
    ...(input.app_secret ? { app_secret: input.app_secret } : {}),
    ...(input.verify_token ? { verify_token: input.verify_token } : {}),
    ...(input.api_key ? { api_key: input.api_key } : {}),
  };
  const credsChanged = JSON.stringify(newCreds) !== JSON.stringify(creds);
  const now = s.clock.now();
  const changes = {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
    ...(input.is_default === true ? { isDefault: true } : {}),
    ...(input.throughput_per_second !== undefined
      ? { throughputPerSecond: input.throughput_per_second }
      : {}),
    ...(input.phone_number_id !== undefined ? { phoneNumberId: input.phone_number_id } : {}),
    ...(input.business_account_id !== undefined ? { businessAccountId: input.business_account_id } : {}),
    ...(input.instance_name !== undefined ? { instanceName: input.instance_name } : {}),
    ...(input.base_url !== undefined ? { baseUrl: input.base_url.replace(/\/+$/, "") } : {}),
    ...(credsChanged ? { credentials: await s.secrets.seal(newCreds) } : {}),
    ...(input.verify_token ? { verifyTokenHash: await sha256Hex(input.verify_token) } : {}),
    updatedAt: now,
  };
  try {
    await s.database.atomic((db) =>
      [
        db.update(whatsappConfigs).set({ isDefault: false, updatedAt: now })
          .where(and(live(config.tenantId), ne(whatsappConfigs.id, id), sql`${input.is_default === true}`)),
        db.update(whatsappConfigs).set(changes).where(eq(whatsappConfigs.id, id)),
        auditInsert(db, meta, {
          action: "whatsapp_config.update",
          targetType: "whatsapp_config",
          targetId: id,
          // Names of the changed fields only: secrets never reach the audit log.
          metadata: { changed: Object.keys(input) },
        }, now),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      return fail("conflict", "Another number already uses this phone number id or instance");
    }
    throw err;
  }
  forgetNumbers();
  if (input.is_default === false || input.is_active === false) await restoreDefault(s, config.tenantId);
  const updated = (await findConfig(s, p, id))!;
  if (evolutionType && (input.api_key || input.base_url || input.instance_name)) {
    await pointEvolutionWebhook(s, updated);
  }
  return ok(await viewOf(s, updated));
}

export async function setActive(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  active: boolean,
): Promise<Result<ConfigView>> {
  return await updateConfig(s, meta, p, id, { is_active: active });
}

/** Soft delete: messages and conversations keep naming the number; it stops sending and receiving. */
export async function deleteConfig(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const now = s.clock.now();
  const [deleted] = await s.database.atomic((db) =>
    [
      db.update(whatsappConfigs).set({ deletedAt: now, isActive: false, isDefault: false, updatedAt: now })
        .where(and(eq(whatsappConfigs.id, id), live(p.tenantId!))).returning({ id: whatsappConfigs.id }),
      auditInsertWhere(
        db,
        meta,
        { action: "whatsapp_config.delete", targetType: "whatsapp_config", targetId: id },
        now,
        sql`exists (select 1 from ${whatsappConfigs} where ${
          and(eq(whatsappConfigs.id, id), eq(whatsappConfigs.deletedAt, now))
        })`,
      ),
    ] as const
  );
  if (deleted.length === 0) return fail("not_found", "WhatsApp number not found");
  forgetNumbers();
  await restoreDefault(s, p.tenantId!);
  return ok(null);
}

/** The tenant's live numbers, default first, from the cache (one read when cold). */
export async function tenantNumbers(s: Services, tenantId: string): Promise<ConfigRow[]> {
  let numbers = numbersByTenant.get(tenantId);
  if (!numbers) {
    numbers = await s.database.db.select().from(whatsappConfigs).where(live(tenantId))
      .orderBy(desc(whatsappConfigs.isDefault), asc(whatsappConfigs.createdAt));
    numbersByTenant.set(tenantId, numbers);
  }
  return numbers;
}

/**
 * The number sends go through: the one named, or the tenant's default active one, from the
 * tenant's numbers as cached (src/whatsapp/number-cache.ts; one read when cold). The send's own
 * batch checks again that it is live and active.
 */
export async function resolveSendingConfig(
  s: Services,
  tenantId: string,
  configId: string | undefined,
): Promise<Result<ConfigRow>> {
  const numbers = await tenantNumbers(s, tenantId);
  if (configId) {
    const row = numbers.find((n) => n.id === configId);
    if (!row) return fail("not_found", "WhatsApp number not found");
    if (!row.isActive) return fail("conflict", "This WhatsApp number is deactivated; activate it to send");
    return ok(row);
  }
  const row = numbers.find((n) => n.isActive);
  if (!row) return fail("conflict", "The tenant has no active WhatsApp number; add one first");
  return ok(row);
}
