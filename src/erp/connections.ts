import { and, eq, sql } from "drizzle-orm";
import { erpConnections } from "../../db/schema/index.ts";
import { auditInsert, auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { mask } from "../core/secret-box.ts";
import type { FieldError } from "../http/problem.ts";
import { outboundUrlProblem } from "../platform/http/outbound-url.ts";
import type { Services } from "../services.ts";
import { CallLog } from "./call-log.ts";
import type { CircuitState } from "./circuit-breaker.ts";
import { unsupportedOf } from "./adapters/registry.ts";
import { breakerFor, buildClient, type ConnectionRow } from "./erp-service.ts";
import { erpNames, type ErpType } from "./model.ts";
import { type ErpCredentials, operations, type TestCheck } from "./port.ts";
import { seedSandbox } from "./sandbox/sandbox-erp.ts";
import { applyPatch, effectiveSettings, type ErpSettings, type SettingsPatch } from "./settings.ts";

/**
 * Connecting an ERP: the credentials each ERP needs are checked, the ERP is really called with
 * them (its `test`) and only then is the connection saved, credentials sealed with the secret
 * box. A reconnect replaces credentials and URL and keeps settings, webhook secret and logs.
 */

export interface ConnectInput extends ErpCredentials {
  api_url?: string;
  settings?: SettingsPatch;
}

/** Which credentials each ERP needs (reference: authentication of each section). */
const REQUIRED: Record<ErpType, (keyof ConnectInput)[]> = {
  ixc: ["api_url", "api_key"],
  sgp: ["api_url", "api_key", "app"],
  mk: ["api_url", "api_key", "api_secret"],
  hubsoft: ["api_url", "client_id", "client_secret", "username", "password"],
  sandbox: [],
};

const FIELD_HELP: Record<string, string> = {
  api_url: "the ERP's address (https://…)",
  api_key: "the API token",
  api_secret: "the secret that goes with the token",
  app: "the application name registered with the SGP token (case-sensitive)",
  client_id: "HubSoft's OAuth client_id",
  client_secret: "HubSoft's OAuth client_secret",
  username: "the HubSoft user's e-mail",
  password: "the HubSoft user's password",
};

/** Paths people paste along with the host: kept out, the adapters add their own. */
const PASTED_PATHS: Partial<Record<ErpType, RegExp>> = {
  ixc: /\/webservice\/v1\/?$/,
  mk: /\/mk\/?$/,
  hubsoft: /\/api\/v1\/integracao\/?$/,
};

export function webhookUrl(s: Services, type: ErpType): string {
  return `${s.config.publicBaseUrl}/api/v1/erp/${type}/webhook`;
}

const newWebhookSecret = () => `erpwh_${randomToken(24)}`;

export function capabilities(unsupported: Partial<Record<string, string>>): Record<string, true | string> {
  return Object.fromEntries(
    operations.filter((op) => op !== "test").map((op) => [op, unsupported[op] ?? true]),
  );
}

export async function connectionView(
  s: Services,
  row: ConnectionRow,
  extra: {
    circuit?: CircuitState;
    webhookSecret?: string;
    checks?: TestCheck[];
    unsupported?: Partial<Record<string, string>>;
  } = {},
) {
  const creds = row.credentials ? await s.secrets.open<ErpCredentials>(row.credentials) : {};
  const masked = Object.fromEntries(
    Object.entries(creds).filter(([, v]) => typeof v === "string" && v).map(([k, v]) => [
      k,
      // Names of things (the SGP app, a HubSoft user) are not secrets; the rest is masked.
      k === "app" || k === "username" || k === "client_id" ? v : mask(v as string),
    ]),
  );
  return {
    id: row.id,
    erp_type: row.erpType,
    name: erpNames[row.erpType],
    connected: row.status !== "disconnected",
    status: row.status,
    api_url: row.apiUrl,
    credentials: masked,
    settings: effectiveSettings(row.settings),
    webhook_url: webhookUrl(s, row.erpType),
    ...(extra.webhookSecret ? { webhook_secret: extra.webhookSecret } : {}),
    ...(extra.unsupported ? { capabilities: capabilities(extra.unsupported) } : {}),
    ...(extra.circuit ? { circuit_state: extra.circuit } : {}),
    ...(extra.checks ? { checks: extra.checks } : {}),
    remote_info: row.remoteInfo ?? null,
    last_error: row.lastError,
    last_checked_at: row.lastCheckedAt?.toISOString() ?? null,
    connected_at: row.connectedAt?.toISOString() ?? null,
    disconnected_at: row.disconnectedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export type ConnectionView = Awaited<ReturnType<typeof connectionView>>;

export async function findConnection(
  s: Services,
  tenantId: string,
  type: ErpType,
): Promise<ConnectionRow | undefined> {
  const [row] = await s.database.db.select().from(erpConnections)
    .where(and(eq(erpConnections.tenantId, tenantId), eq(erpConnections.erpType, type)));
  return row;
}

const invalid = (errors: FieldError[]) =>
  fail<never>(
    "validation_failed",
    errors.map((e) => `${e.path.replace(/^body\./, "")}: ${e.message}`).join("; "),
    {
      errors,
    },
  );

/** Calls the ERP with these credentials, outside the tenant's circuit (a fix must be testable at once). */
async function tryCredentials(
  s: Services,
  tenantId: string,
  connectionId: string,
  type: ErpType,
  apiUrl: string | null,
  credentials: ErpCredentials,
  settings: ErpSettings,
  requestId: string | undefined,
  defer: (p: Promise<unknown>) => void,
): Promise<Result<TestCheck[]>> {
  const log = new CallLog(s, { tenantId, erpType: type, requestId });
  const probeScope = `probe:${uuidv7()}`;
  const { client } = buildClient(s, {
    tenantId,
    breakerTenant: probeScope,
    connectionId,
    type,
    apiUrl,
    credentials,
    settings,
  }, log);
  const result = await client.test();
  defer(log.flush().catch((err) => s.obs.log.error("erp call log not written", { error: err })));
  await breakerFor(s, probeScope, type).reset();
  return result;
}

export async function connect(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  type: ErpType,
  input: ConnectInput,
  defer: (p: Promise<unknown>) => void,
): Promise<Result<ConnectionView>> {
  const tenantId = p.tenantId!;
  const errors: FieldError[] = [];
  for (const field of REQUIRED[type]) {
    if (!input[field]) {
      errors.push({ path: `body.${field}`, message: `Required for ${erpNames[type]}: ${FIELD_HELP[field]}` });
    }
  }
  if (type === "ixc" && input.api_key && !input.api_key.includes(":") && !input.api_secret) {
    errors.push({
      path: "body.api_secret",
      message:
        "IXC's token is `id:hash`: send it whole in api_key, or the id in api_key and the hash in api_secret",
    });
  }
  let apiUrl: string | null = null;
  if (type !== "sandbox" && input.api_url) {
    const problem = outboundUrlProblem(input.api_url, s.config.allowPrivateTargets);
    if (problem) errors.push({ path: "body.api_url", message: `Cannot use this URL: ${problem}` });
    apiUrl = input.api_url.replace(/[?#].*$/, "").replace(/\/+$/, "").replace(PASTED_PATHS[type] ?? /$^/, "")
      .replace(/\/+$/, "");
  }
  if (errors.length) return invalid(errors);

  const existing = await findConnection(s, tenantId, type);
  const settings = input.settings
    ? applyPatch(effectiveSettings(existing?.settings), input.settings)
    : effectiveSettings(existing?.settings);
  const credentials: ErpCredentials = Object.fromEntries(
    (["api_key", "api_secret", "app", "client_id", "client_secret", "username", "password"] as const)
      .filter((k) => input[k]).map((k) => [k, input[k]!.trim()]),
  );
  if (type === "sandbox") await seedSandbox(s, tenantId);
  const connectionId = existing?.id ?? uuidv7();
  const tested = await tryCredentials(
    s,
    tenantId,
    connectionId,
    type,
    apiUrl,
    credentials,
    settings,
    meta.requestId,
    defer,
  );
  if (!tested.ok) {
    const f = tested.failure;
    if (f.code === "erp_error" || f.code === "not_found") {
      return fail("validation_failed", `${erpNames[type]} refused the connection: ${f.detail}`, {
        errors: [{ path: "body", message: f.detail }],
        extensions: { erp_message: f.extensions?.erp_message ?? f.detail },
      });
    }
    return tested as Result<never>;
  }

  const now = s.clock.now();
  const secret = newWebhookSecret();
  const secretHash = await sha256Hex(secret);
  const sealed = await s.secrets.seal(credentials);
  const [saved] = await s.database.atomic((db) =>
    [
      db.insert(erpConnections).values({
        id: connectionId,
        tenantId,
        erpType: type,
        apiUrl,
        credentials: sealed,
        webhookSecretHash: secretHash,
        settings,
        status: "connected",
        remoteInfo: { checks: tested.value },
        lastError: null,
        lastCheckedAt: now,
        connectedAt: now,
        disconnectedAt: null,
        createdAt: now,
        updatedAt: now,
      }).onConflictDoUpdate({
        target: [erpConnections.tenantId, erpConnections.erpType],
        set: {
          apiUrl,
          credentials: sealed,
          // A reconnect keeps the secret the ERP already calls us with; one lost at a disconnect is new.
          webhookSecretHash: sql`coalesce(${erpConnections.webhookSecretHash}, excluded.webhook_secret_hash)`,
          settings,
          status: "connected",
          remoteInfo: { checks: tested.value },
          lastError: null,
          lastCheckedAt: now,
          connectedAt:
            sql`case when ${erpConnections.status} = 'disconnected' then excluded.connected_at else ${erpConnections.connectedAt} end`,
          disconnectedAt: null,
          updatedAt: now,
        },
      }).returning(),
      auditInsert(db, meta, {
        action: existing && existing.status !== "disconnected" ? "erp.reconnect" : "erp.connect",
        targetType: "erp_connection",
        targetId: connectionId,
        metadata: { erp_type: type, api_url: apiUrl },
      }, now),
    ] as const
  );
  const row = saved[0];
  await breakerFor(s, tenantId, type).reset();
  return ok(
    await connectionView(s, row, {
      webhookSecret: row.webhookSecretHash === secretHash ? secret : undefined,
      checks: tested.value,
      circuit: "closed",
      unsupported: unsupportedOf(type),
    }),
  );
}

/** The connection as stored, with the circuit's state; `connected: false` when there is none. */
export async function connectionStatus(s: Services, tenantId: string, type: ErpType) {
  const [row, circuit] = await Promise.all([
    findConnection(s, tenantId, type),
    breakerFor(s, tenantId, type).state(),
  ]);
  if (!row) return null;
  return await connectionView(s, row, { circuit, unsupported: unsupportedOf(type) });
}

/** `POST /test`: calls the ERP now, records the outcome, and closes the circuit when it works. */
export async function testConnection(
  s: Services,
  tenantId: string,
  type: ErpType,
  requestId: string | undefined,
  defer: (p: Promise<unknown>) => void,
) {
  const row = await findConnection(s, tenantId, type);
  if (!row || !row.credentials) {
    return fail(
      "erp_not_connected",
      `No ${erpNames[type]} is connected; connect it with POST /api/v1/erp/connect/${type}`,
    );
  }
  const settings = effectiveSettings(row.settings);
  const creds = await s.secrets.open<ErpCredentials>(row.credentials);
  const started = performance.now();
  const tested = await tryCredentials(
    s,
    tenantId,
    row.id,
    type,
    row.apiUrl,
    creds,
    settings,
    requestId,
    defer,
  );
  const latency = Math.round(performance.now() - started);
  const now = s.clock.now();
  await s.database.db.update(erpConnections).set({
    status: tested.ok ? "connected" : "error",
    lastError: tested.ok ? null : tested.failure.detail,
    lastCheckedAt: now,
    ...(tested.ok ? { remoteInfo: { checks: tested.value } } : {}),
  }).where(eq(erpConnections.id, row.id));
  if (tested.ok) await breakerFor(s, tenantId, type).reset();
  return ok({
    ok: tested.ok,
    erp_type: type,
    latency_ms: latency,
    checks: tested.ok ? tested.value : [{ name: "call", ok: false, detail: tested.failure.detail }],
    error: tested.ok ? null : { code: tested.failure.code, detail: tested.failure.detail },
    checked_at: now.toISOString(),
  });
}

export async function getSettings(
  s: Services,
  tenantId: string,
  type: ErpType,
): Promise<Result<ErpSettings>> {
  const row = await findConnection(s, tenantId, type);
  if (!row || row.status === "disconnected") {
    return fail(
      "erp_not_connected",
      `No ${erpNames[type]} is connected; connect it with POST /api/v1/erp/connect/${type}`,
    );
  }
  return ok(effectiveSettings(row.settings));
}

export async function updateSettings(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  type: ErpType,
  patch: SettingsPatch,
): Promise<Result<ErpSettings & { webhook_secret?: string }>> {
  const tenantId = p.tenantId!;
  const row = await findConnection(s, tenantId, type);
  if (!row || row.status === "disconnected") {
    return fail(
      "erp_not_connected",
      `No ${erpNames[type]} is connected; connect it with POST /api/v1/erp/connect/${type}`,
    );
  }
  const { rotate_webhook_secret: rotate, ...rest } = patch;
  const next = applyPatch(effectiveSettings(row.settings), rest);
  const secret = rotate ? newWebhookSecret() : undefined;
  const secretHash = secret ? await sha256Hex(secret) : undefined;
  const now = s.clock.now();
  await s.database.atomic((db) =>
    [
      db.update(erpConnections).set({
        settings: next,
        ...(secretHash ? { webhookSecretHash: secretHash } : {}),
        updatedAt: now,
      }).where(eq(erpConnections.id, row.id)),
      auditInsert(db, meta, {
        action: "erp.settings_update",
        targetType: "erp_connection",
        targetId: row.id,
        metadata: { erp_type: type, changed: Object.keys(patch) },
      }, now),
    ] as const
  );
  return ok({ ...next, ...(secret ? { webhook_secret: secret } : {}) });
}

/** Credentials and webhook secret gone, the row (and its logs) kept; sandbox data stays too. */
export async function disconnect(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  type: ErpType,
): Promise<Result<null>> {
  const tenantId = p.tenantId!;
  const now = s.clock.now();
  const [updated] = await s.database.atomic((db) =>
    [
      db.update(erpConnections).set({
        credentials: null,
        webhookSecretHash: null,
        status: "disconnected",
        disconnectedAt: now,
        updatedAt: now,
      }).where(and(
        eq(erpConnections.tenantId, tenantId),
        eq(erpConnections.erpType, type),
        sql`${erpConnections.status} <> 'disconnected'`,
      )).returning({ id: erpConnections.id }),
      auditInsertWhere(
        db,
        meta,
        { action: "erp.disconnect", targetType: "erp_connection", metadata: { erp_type: type } },
        now,
        sql`exists (select 1 from ${erpConnections} where ${
          and(
            eq(erpConnections.tenantId, tenantId),
            eq(erpConnections.erpType, type),
            eq(erpConnections.disconnectedAt, now),
          )
        })`,
      ),
    ] as const
  );
  if (updated.length === 0) return fail("erp_not_connected", `No ${erpNames[type]} is connected`);
  await breakerFor(s, tenantId, type).reset();
  return ok(null);
}
