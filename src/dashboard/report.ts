/**
 * The dashboard export (`POST /api/v1/dashboard/export`), ready to be rendered as PDF or CSV.
 * The renderers only read it: gathering the figures is the caller's job.
 */

export interface ReportBucket {
  /** The bucket's start on the tenant's wall clock: "2026-11-26", or "2026-11-26 14:00" for hours. */
  label: string;
  /** The bucket's start as an ISO instant. */
  start: string;
  /** Null for an average over nothing. */
  value: number | null;
}

export interface ReportChart {
  /** `messages_inbound`, `conversations_new`, `first_response_seconds`, … */
  metric: string;
  /** Shown above the chart, in the report's language. */
  title: string;
  interval: "hourly" | "daily" | "weekly";
  aggregate: "count" | "avg";
  unit: "count" | "seconds";
  buckets: ReportBucket[];
}

export type ReportLocale = "pt-BR" | "en" | "es";

export interface DurationStats {
  count: number;
  average: number | null;
  median: number | null;
  p95: number | null;
}

export interface DashboardReport {
  tenantName: string;
  /** The language of the labels and the number and date formats. */
  locale: ReportLocale;
  /** IANA zone, e.g. "America/Sao_Paulo": every time shown is in this zone. */
  timeZone: string;
  /** `[from, to)`. */
  period: { name: "today" | "week" | "month" | "custom"; from: Date; to: Date };
  generatedAt: Date;
  metrics: {
    messages: {
      inbound: number;
      outbound: number;
      failed: number;
      delivered: number;
      read: number;
      /** 0..1 */
      delivery_rate: number | null;
      /** 0..1 */
      read_rate: number | null;
    };
    conversations: { new: number; resolved: number; active: number; waiting: number };
    contacts: { new: number; total: number };
  };
  kpis: {
    first_response_seconds: DurationStats;
    resolution_seconds: DurationStats;
    /** 0..1 */
    resolution_rate: number | null;
    messages_per_conversation: number | null;
    handled_by: { agent: number; bot: number };
  };
  /** Typically 3–4: messages in/out per day, conversations new/resolved, first response average. */
  charts: ReportChart[];
  agents: { name: string; online: boolean; active_conversations: number; capacity: number }[];
}
