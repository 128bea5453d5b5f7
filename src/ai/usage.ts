import { sql } from "drizzle-orm";
import { aiUsage } from "../../db/schema/index.ts";
import type { Db } from "../platform/db/database.ts";
import type { Services } from "../services.ts";
import type { AiFeature, Usage } from "./ai-port.ts";

/**
 * AI usage per tenant, feature and UTC day: one upsert per call (a request, its tokens in and
 * out). The monthly budget is read from these rows (ai-settings.ts `settingsAndUsage`).
 */
export async function recordUsage(
  s: Services,
  tenantId: string,
  feature: AiFeature,
  usage: Usage,
): Promise<void> {
  const day = s.clock.now().toISOString().slice(0, 10);
  await s.database.db.insert(aiUsage).values({
    tenantId,
    day,
    feature,
    requests: 1,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    updatedAt: s.clock.now(),
  }).onConflictDoUpdate({
    target: [aiUsage.tenantId, aiUsage.day, aiUsage.feature],
    set: {
      requests: sql`${aiUsage.requests} + 1`,
      inputTokens: sql`${aiUsage.inputTokens} + ${usage.inputTokens}`,
      outputTokens: sql`${aiUsage.outputTokens} + ${usage.outputTokens}`,
      updatedAt: s.clock.now(),
    },
  });
}

/** The month's usage by feature, for the settings view (built on a batch's `db`). */
export const usageByFeature = (db: Db, tenantId: string, fromDay: string) =>
  db.select({
    feature: aiUsage.feature,
    input_tokens: sql<number>`sum(${aiUsage.inputTokens})::int`,
    output_tokens: sql<number>`sum(${aiUsage.outputTokens})::int`,
    requests: sql<number>`sum(${aiUsage.requests})::int`,
  }).from(aiUsage).where(sql`${aiUsage.tenantId} = ${tenantId} and ${aiUsage.day} >= ${fromDay}::date`)
    .groupBy(aiUsage.feature).orderBy(aiUsage.feature);
