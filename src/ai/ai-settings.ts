import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { aiSettings, aiUsage } from "../../db/schema/index.ts";
import { mask } from "../core/secret-box.ts";
import { periodOf } from "../tenants/usage.ts";
import type { Config } from "../config.ts";
import { type AiFeature, aiFeatures, type AiLanguage } from "./ai-port.ts";

/**
 * A tenant's AI settings: the stored choices over the defaults, and the platform's model
 * (OPENAI_API_KEY / OPENAI_BASE_URL / AI_MODEL) for tenants that bring no key of their own.
 * The platform's key is only ever sent to the platform's base URL: a tenant that points the AI
 * at its own server brings its own key.
 */

export const AiSettingsInput = z.object({
  enabled: z.boolean(),
  provider: z.enum(["offline", "openai"]).openapi({
    description:
      "`offline`: the built-in heuristics (no cost, no data leaves). `openai`: any OpenAI-compatible API, with the tenant's key or the platform's.",
  }),
  base_url: z.url({ protocol: /^https?$/ }).max(2048).nullable().openapi({
    description:
      "An OpenAI-compatible API (`https://api.openai.com/v1`, Azure, a local server); null for the platform's.",
  }),
  model: z.string().trim().min(1).max(100).nullable().openapi({ example: "gpt-4o-mini" }),
  api_key: z.string().trim().min(8).max(500).nullable().openapi({
    description: "The tenant's own key, sealed at rest and never returned; null removes it.",
  }),
  temperature: z.number().min(0).max(2),
  max_tokens: z.number().int().min(16).max(8192),
  language: z.enum(["pt-BR", "en", "es"]),
  features: z.object(
    Object.fromEntries(aiFeatures.map((f) => [f, z.boolean()])) as Record<AiFeature, z.ZodBoolean>,
  )
    .partial(),
  monthly_token_budget: z.number().int().min(0).max(1_000_000_000).nullable().openapi({
    description:
      "Tokens (in + out) a month, UTC calendar months; null for no limit. Once spent, calls answer 429.",
  }),
  redact_pii: z.boolean().openapi({
    description:
      "Replace CPF, CNPJ, card numbers, e-mails and phones with placeholders before text leaves for a model, and put them back in the answer.",
  }),
}).partial();

export type AiSettingsChanges = z.infer<typeof AiSettingsInput>;

/** What is stored in `ai_settings.settings` (everything but the key). */
export type StoredAiSettings = Omit<AiSettingsChanges, "api_key">;

export interface ResolvedAiSettings {
  enabled: boolean;
  provider: "offline" | "openai";
  baseUrl: string | null;
  model: string;
  temperature: number;
  maxTokens: number;
  language: AiLanguage;
  features: Record<AiFeature, boolean>;
  monthlyTokenBudget: number | null;
  redactPii: boolean;
  /** The sealed tenant key, when there is one. */
  sealedKey: string | null;
  apiKeyHint: string | null;
  updatedAt: Date | null;
}

export interface AiSettingsRow {
  settings: Record<string, unknown> | null;
  api_key: string | null;
  api_key_hint: string | null;
  updated_at: string | Date | null;
}

export function resolveAiSettings(config: Config, row: AiSettingsRow | undefined): ResolvedAiSettings {
  const s = (row?.settings ?? {}) as StoredAiSettings;
  const features = Object.fromEntries(aiFeatures.map((f) => [f, s.features?.[f] ?? true])) as Record<
    AiFeature,
    boolean
  >;
  return {
    enabled: s.enabled ?? true,
    // Never chosen: the platform's model when it has one, else the offline heuristics.
    provider: s.provider ?? (config.openai ? "openai" : "offline"),
    baseUrl: s.base_url ?? null,
    model: s.model ?? config.openai?.model ?? config.aiModel,
    temperature: s.temperature ?? 0.3,
    maxTokens: s.max_tokens ?? 512,
    language: s.language ?? "pt-BR",
    features,
    monthlyTokenBudget: s.monthly_token_budget ?? null,
    redactPii: s.redact_pii ?? true,
    sealedKey: row?.api_key ?? null,
    apiKeyHint: row?.api_key_hint ?? null,
    updatedAt: row?.updated_at ? new Date(row.updated_at) : null,
  };
}

export interface MonthUsage {
  period: string;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

/** The first day of the current UTC month, as the `ai_usage.day` it compares with. */
export const monthStart = (now: Date) => `${periodOf(now)}-01`;

/** Settings and the month's usage in one statement: what every AI call reads first. */
export const settingsAndUsage = (tenantId: string, now: Date) =>
  sql`select s.settings, s.api_key, s.api_key_hint, s.updated_at, u.input_tokens, u.output_tokens, u.requests
    from (select 1) one
    left join ${aiSettings} s on s.tenant_id = ${tenantId}
    cross join (select coalesce(sum(input_tokens), 0)::int as input_tokens,
        coalesce(sum(output_tokens), 0)::int as output_tokens, coalesce(sum(requests), 0)::int as requests
      from ${aiUsage} where tenant_id = ${tenantId} and day >= ${monthStart(now)}::date) u`;

export type SettingsAndUsageRow = AiSettingsRow & {
  input_tokens: number;
  output_tokens: number;
  requests: number;
};

export function monthUsageOf(row: SettingsAndUsageRow | undefined, now: Date): MonthUsage {
  return {
    period: periodOf(now),
    inputTokens: Number(row?.input_tokens ?? 0),
    outputTokens: Number(row?.output_tokens ?? 0),
    requests: Number(row?.requests ?? 0),
  };
}

/** The settings as the API shows them: the key only as a hint. */
export function settingsView(
  config: Config,
  r: ResolvedAiSettings,
  usage: MonthUsage,
  byFeature: { feature: string; input_tokens: number; output_tokens: number; requests: number }[],
) {
  const spent = usage.inputTokens + usage.outputTokens;
  return {
    enabled: r.enabled,
    provider: r.provider,
    base_url: r.baseUrl,
    model: r.model,
    api_key_set: r.sealedKey !== null,
    api_key_hint: r.apiKeyHint,
    uses_platform_key: r.provider === "openai" && r.sealedKey === null && r.baseUrl === null &&
      !!config.openai,
    temperature: r.temperature,
    max_tokens: r.maxTokens,
    language: r.language,
    features: r.features,
    monthly_token_budget: r.monthlyTokenBudget,
    redact_pii: r.redactPii,
    usage: {
      period: usage.period,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      total_tokens: spent,
      requests: usage.requests,
      budget_remaining: r.monthlyTokenBudget === null ? null : Math.max(0, r.monthlyTokenBudget - spent),
      by_feature: byFeature.map((f) => ({
        feature: f.feature,
        input_tokens: Number(f.input_tokens),
        output_tokens: Number(f.output_tokens),
        requests: Number(f.requests),
      })),
    },
    platform: { model_available: !!config.openai, default_model: config.openai?.model ?? config.aiModel },
    updated_at: r.updatedAt?.toISOString() ?? null,
  };
}

export type AiSettingsView = ReturnType<typeof settingsView>;

export const keyHint = (key: string) => mask(key);
