import { sql } from "drizzle-orm";
import { aiSettings } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import type { Principal } from "../auth/principal.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { FieldError } from "../http/problem.ts";
import { resultRows } from "../platform/db/database.ts";
import { outboundUrlProblem } from "../platform/http/outbound-url.ts";
import type { Services } from "../services.ts";
import {
  type AiSettingsChanges,
  type AiSettingsView,
  keyHint,
  monthStart,
  monthUsageOf,
  resolveAiSettings,
  settingsAndUsage,
  type SettingsAndUsageRow,
  settingsView,
  type StoredAiSettings,
} from "./ai-settings.ts";
import { usageByFeature } from "./usage.ts";

/** Settings, month usage and usage by feature: one batch, one round trip. */
async function load(s: Services, tenantId: string) {
  const now = s.clock.now();
  const [row, byFeature] = await s.database.atomic((db) =>
    [db.execute(settingsAndUsage(tenantId, now)), usageByFeature(db, tenantId, monthStart(now))] as const
  );
  const settings = resultRows<SettingsAndUsageRow>(row)[0];
  return { settings, byFeature, usage: monthUsageOf(settings, now) };
}

export async function getAiSettings(s: Services, p: Principal): Promise<AiSettingsView> {
  const { settings, byFeature, usage } = await load(s, p.tenantId!);
  return settingsView(
    s.config,
    resolveAiSettings(s.config, settings?.settings ? settings : undefined),
    usage,
    byFeature,
  );
}

/**
 * Changes the settings (fields left out stay; `features` merge). A provider that could not run
 * is refused here rather than at the first call: `openai` needs a key of the tenant's, or the
 * platform's with the platform's base URL.
 */
export async function updateAiSettings(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: AiSettingsChanges,
): Promise<Result<AiSettingsView>> {
  const tenantId = p.tenantId!;
  const { settings: row, byFeature, usage } = await load(s, tenantId);
  const current = (row?.settings ?? {}) as StoredAiSettings;
  const { api_key, ...rest } = input;
  const next: StoredAiSettings = {
    ...current,
    ...rest,
    ...(rest.features ? { features: { ...current.features, ...rest.features } } : {}),
  };
  const errors: FieldError[] = [];
  if (next.base_url) {
    const problem = outboundUrlProblem(next.base_url, s.config.allowPrivateTargets);
    if (problem) errors.push({ path: "body.base_url", message: problem });
  }
  const keySealed = api_key === undefined
    ? row?.api_key ?? null
    : api_key === null
    ? null
    : await s.secrets.seal(api_key);
  const resolved = resolveAiSettings(s.config, {
    settings: next as Record<string, unknown>,
    api_key: keySealed,
    api_key_hint: null,
    updated_at: null,
  });
  if (resolved.provider === "openai" && !keySealed) {
    if (!s.config.openai) {
      errors.push({
        path: "body.api_key",
        message: "Required for provider openai: this platform has no model of its own",
      });
    } else if (resolved.baseUrl) {
      errors.push({
        path: "body.api_key",
        message: "Required with a base_url of your own (the platform's key stays with the platform's URL)",
      });
    }
  }
  if (errors.length) return fail("validation_failed", "These AI settings cannot be saved", { errors });
  const hint = api_key === undefined ? row?.api_key_hint ?? null : api_key === null ? null : keyHint(api_key);
  const now = s.clock.now();
  const by = p.kind === "user" ? p.userId : null;
  await s.database.atomic((db) =>
    [
      db.insert(aiSettings).values({
        tenantId,
        settings: next as Record<string, unknown>,
        apiKey: keySealed,
        apiKeyHint: hint,
        updatedBy: by,
        createdAt: now,
        updatedAt: now,
      }).onConflictDoUpdate({
        target: aiSettings.tenantId,
        set: {
          settings: sql`excluded.settings`,
          apiKey: sql`excluded.api_key`,
          apiKeyHint: sql`excluded.api_key_hint`,
          updatedBy: by,
          updatedAt: now,
        },
      }),
      auditInsert(db, meta, {
        action: "ai.settings.update",
        targetType: "ai_settings",
        targetId: tenantId,
        metadata: {
          fields: Object.keys(input).filter((k) => k !== "api_key"),
          ...(api_key !== undefined ? { api_key: api_key === null ? "removed" : "set" } : {}),
        },
      }, now),
    ] as const
  );
  const saved = resolveAiSettings(s.config, {
    settings: next as Record<string, unknown>,
    api_key: keySealed,
    api_key_hint: hint,
    updated_at: now,
  });
  return ok(settingsView(s.config, saved, usage, byFeature));
}
