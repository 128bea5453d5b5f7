import { and, asc, eq, isNull, like, sql } from "drizzle-orm";
import { conversations, webhookEndpoints, whatsappConfigs } from "../../db/schema/index.ts";
import { allReads, mapRead, readQuery, readSql } from "../platform/db/reads.ts";
import type { Thresholds } from "./live.ts";

export type Severity = "info" | "warning" | "critical";

export interface Alert {
  /** Stable while the condition lasts: `<type>:<resource id>`. */
  id: string;
  type: "sla_breach" | "number_disconnected" | "number_quality" | "failed_messages" | "webhook_disabled";
  severity: Severity;
  title: string;
  detail: string;
  resource: { type: string; id: string; href: string };
  since: string | null;
}

/** Outbound messages in the last hour below which a failure rate says nothing. */
const MIN_MESSAGES_FOR_RATE = 20;
const MAX_SLA_ALERTS = 50;

const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * What needs a supervisor now, computed from live data each time (nothing to acknowledge or go
 * stale): conversations waiting past the first-response SLA (critical past twice it), numbers not
 * connected or with a yellow/red quality rating, numbers whose outbound messages failed above the
 * tenant's threshold in the last hour, and webhook endpoints switched off after a day of failures.
 * Most severe first.
 */
export function alerts(tenantId: string, t: Thresholds, now: Date) {
  const slaCutoff = new Date(now.getTime() - t.slaFirstResponseMinutes * 60_000);
  const hourAgo = new Date(now.getTime() - 3600_000).toISOString();
  const reads = allReads({
    late: readQuery((db) =>
      db.select({
        id: conversations.id,
        since: conversations.statusChangedAt,
        createdAt: conversations.createdAt,
      }).from(conversations).where(and(
        eq(conversations.tenantId, tenantId),
        eq(conversations.status, "waiting"),
        sql`coalesce(${conversations.statusChangedAt}, ${conversations.createdAt}) <= ${slaCutoff.toISOString()}::timestamptz`,
      )).orderBy(asc(conversations.statusChangedAt)).limit(MAX_SLA_ALERTS)
    ),
    numbers: readQuery((db) =>
      db.select().from(whatsappConfigs).where(and(
        eq(whatsappConfigs.tenantId, tenantId),
        eq(whatsappConfigs.isActive, true),
        isNull(whatsappConfigs.deletedAt),
      ))
    ),
    rates: readSql<{ config_id: string; attempted: number; failed: number }>(sql`
      select config_id, count(*)::int as attempted, (count(*) filter (where status = 'failed'))::int as failed
      from messages
      where tenant_id = ${tenantId} and direction = 'outbound' and status <> 'pending'
        and timestamp >= ${hourAgo}::timestamptz
      group by config_id`),
    disabled: readQuery((db) =>
      db.select().from(webhookEndpoints).where(and(
        eq(webhookEndpoints.tenantId, tenantId),
        eq(webhookEndpoints.isActive, false),
        isNull(webhookEndpoints.deletedAt),
        like(webhookEndpoints.disabledReason, "Failing since%"),
      ))
    ),
  });
  return mapRead(reads, ({ late, numbers, rates, disabled }) => {
    const out: Alert[] = [];
    for (const c of late) {
      const since = c.since ?? c.createdAt;
      const minutes = Math.floor((now.getTime() - since.getTime()) / 60_000);
      out.push({
        id: `sla_breach:${c.id}`,
        type: "sla_breach",
        severity: minutes >= 2 * t.slaFirstResponseMinutes ? "critical" : "warning",
        title: "Customer waiting beyond the SLA",
        detail: `Waiting ${minutes} min for an agent (SLA ${t.slaFirstResponseMinutes} min)`,
        resource: { type: "conversation", id: c.id, href: `/api/v1/conversations/${c.id}` },
        since: since.toISOString(),
      });
    }

    for (const n of numbers) {
      const href = `/api/v1/whatsapp-configs/${n.id}`;
      if (n.connectionState === "disconnected" || n.connectionState === "error") {
        out.push({
          id: `number_disconnected:${n.id}`,
          type: "number_disconnected",
          severity: "critical",
          title: `${n.name} is not connected`,
          detail: `${n.phoneNumber}: connection ${n.connectionState}; messages cannot be sent or received`,
          resource: { type: "whatsapp_config", id: n.id, href },
          since: n.updatedAt.toISOString(),
        });
      }
      const quality = n.qualityRating?.toUpperCase();
      if (quality === "RED" || quality === "YELLOW") {
        out.push({
          id: `number_quality:${n.id}`,
          type: "number_quality",
          severity: quality === "RED" ? "critical" : "warning",
          title: `${n.name}: quality rating ${quality.toLowerCase()}`,
          detail: `Meta rates ${n.phoneNumber} ${quality}; its messaging limit may be lowered`,
          resource: { type: "whatsapp_config", id: n.id, href },
          since: null,
        });
      }
    }

    for (const r of rates) {
      const pct = (r.failed / r.attempted) * 100;
      if (r.attempted < MIN_MESSAGES_FOR_RATE || pct < t.alertFailedRatePercent) continue;
      const n = numbers.find((x) => x.id === r.config_id);
      out.push({
        id: `failed_messages:${r.config_id}`,
        type: "failed_messages",
        severity: pct >= 2 * t.alertFailedRatePercent ? "critical" : "warning",
        title: `${Math.round(pct)}% of messages failed in the last hour`,
        detail: `${r.failed} of ${r.attempted} outbound messages${
          n ? ` from ${n.name}` : ""
        } failed (threshold ${t.alertFailedRatePercent}%)`,
        resource: {
          type: "whatsapp_config",
          id: r.config_id,
          href: `/api/v1/whatsapp/messages?config_id=${r.config_id}&status=failed`,
        },
        since: hourAgo,
      });
    }

    for (const w of disabled) {
      out.push({
        id: `webhook_disabled:${w.id}`,
        type: "webhook_disabled",
        severity: "warning",
        title: "A webhook endpoint was switched off",
        detail: `${w.url}: ${w.disabledReason}`,
        resource: { type: "webhook", id: w.id, href: `/api/v1/webhooks/${w.id}` },
        since: w.disabledAt?.toISOString() ?? null,
      });
    }
    return out.sort((a, b) =>
      rank[a.severity] - rank[b.severity] || (a.since ?? "").localeCompare(b.since ?? "")
    );
  });
}
