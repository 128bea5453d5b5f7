import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Answer } from "../../src/ai/ai-port.ts";
import type { TenantAi } from "../../src/ai/ai-service.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";

export const TAG = "AI";

export const UsageSchema = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
}).openapi("AiUsage", { description: "Tokens this call spent (zero offline)." });

/** What every AI answer carries besides its result. */
export const Meta = {
  provider: z.enum(["offline", "openai"]),
  model: z.string().openapi({ example: "gpt-4o-mini" }),
  usage: UsageSchema,
};

export const aiProblems = {
  403: problemResponse(
    "Lacking the permission, or the AI (or this feature) is switched off (`ai_disabled`).",
  ),
  429: problemResponse(
    "Rate limited: ours, the provider's (`ai_rate_limited`, with `Retry-After`) or the monthly token budget (`quota_exceeded`).",
  ),
  502: problemResponse(
    "The model answered out of schema twice (`ai_bad_output`) or refused the call (`ai_provider_error`).",
  ),
  503: problemResponse("Not available here (`ai_unavailable`: `setting` names what enables it)."),
  504: problemResponse("The model provider did not answer in time (`ai_timeout`)."),
};

/** The tenant of the caller: the AI is a tenant's (a platform admin has none). */
export function tenantOf(c: Context<AppEnv>): string {
  const tenantId = c.get("principal")?.tenantId;
  if (!tenantId) throw new ApiError("forbidden", "The AI works for a tenant; sign in as one of its users");
  return tenantId;
}

/** The answer's common members, in the wire's spelling. */
export function meta(ai: TenantAi, a: Answer<unknown>) {
  return {
    provider: ai.providerKind,
    model: a.model,
    usage: { input_tokens: a.usage.inputTokens, output_tokens: a.usage.outputTokens },
  };
}
