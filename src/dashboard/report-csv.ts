import { CSV_BOM, csvRow } from "../core/csv.ts";
import { isoInZone, resolveTimeZone } from "../conversations/transcript/transcript.ts";
import type { DashboardReport, DurationStats } from "./report.ts";

type Metrics = DashboardReport["metrics"];

// Listed rather than enumerated, so the rows keep their order whatever object the caller built.
const MESSAGE_KEYS: readonly (keyof Metrics["messages"])[] = [
  "inbound",
  "outbound",
  "failed",
  "delivered",
  "read",
  "delivery_rate",
  "read_rate",
];
const CONVERSATION_KEYS: readonly (keyof Metrics["conversations"])[] = [
  "new",
  "resolved",
  "active",
  "waiting",
];
const CONTACT_KEYS: readonly (keyof Metrics["contacts"])[] = ["new", "total"];

type Cell = string | number | boolean | null | undefined;

/** A finite number as is; null, NaN and ±Infinity as an empty cell. */
const num = (v: number | null | undefined): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : null;

/**
 * The dashboard report as CSV for machines: a BOM (so Excel reads UTF-8), a header
 * `section,metric,label,value`, then one row per figure. Keys are English and stable whatever
 * the report's language; values are raw numbers (rates 0..1, durations in seconds), empty when
 * unknown. Sections:
 * - `report`: tenant, locale, time zone, period and generation time (ISO 8601 in the zone);
 * - `metrics`: `messages.inbound`, …, `contacts.total`;
 * - `kpis`: `first_response_seconds.median`, `resolution_rate`, `handled_by.agent`, …;
 * - `chart:<metric>`: one row per bucket, the interval as `metric` and the bucket's wall-clock
 *   start as `label`;
 * - `agents`: the agent's name as `metric`, then `online`, `active_conversations`, `capacity`.
 */
export function reportCsv(r: DashboardReport): string {
  const zone = resolveTimeZone(r.timeZone);
  const rows: Cell[][] = [["section", "metric", "label", "value"]];
  const add = (section: string, metric: string, label: string, value: Cell) =>
    rows.push([section, metric, label, value]);

  add("report", "tenant", "", r.tenantName);
  add("report", "locale", "", r.locale);
  add("report", "time_zone", "", zone);
  add("report", "period", "", r.period.name);
  add("report", "from", "", isoInZone(r.period.from, zone));
  add("report", "to", "", isoInZone(r.period.to, zone));
  add("report", "generated_at", "", isoInZone(r.generatedAt, zone));

  const m = r.metrics;
  for (const key of MESSAGE_KEYS) add("metrics", `messages.${key}`, "", num(m.messages[key]));
  for (const key of CONVERSATION_KEYS) add("metrics", `conversations.${key}`, "", num(m.conversations[key]));
  for (const key of CONTACT_KEYS) add("metrics", `contacts.${key}`, "", num(m.contacts[key]));

  const k = r.kpis;
  const durations = (name: string, d: DurationStats) => {
    add("kpis", `${name}.count`, "", num(d.count));
    add("kpis", `${name}.average`, "", num(d.average));
    add("kpis", `${name}.median`, "", num(d.median));
    add("kpis", `${name}.p95`, "", num(d.p95));
  };
  durations("first_response_seconds", k.first_response_seconds);
  durations("resolution_seconds", k.resolution_seconds);
  add("kpis", "resolution_rate", "", num(k.resolution_rate));
  add("kpis", "messages_per_conversation", "", num(k.messages_per_conversation));
  add("kpis", "handled_by.agent", "", num(k.handled_by.agent));
  add("kpis", "handled_by.bot", "", num(k.handled_by.bot));

  for (const c of r.charts) {
    for (const b of c.buckets) add(`chart:${c.metric}`, c.interval, b.label, num(b.value));
  }

  for (const a of r.agents) {
    add("agents", a.name, "online", a.online);
    add("agents", a.name, "active_conversations", num(a.active_conversations));
    add("agents", a.name, "capacity", num(a.capacity));
  }

  return CSV_BOM + rows.map(csvRow).join("");
}
