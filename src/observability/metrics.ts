/**
 * A small Prometheus registry: counters and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). In-process: on Workers each isolate reports its own.
 */

type Labels = Record<string, string>;

/** Callers pass a metric's labels in one fixed order, so the key needs no sorting (hot path). */
function labelKey(labels: Labels): string {
  let key = "";
  for (const k in labels) key += k + "\u0001" + labels[k] + "\u0002";
  return key;
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k])}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${renderLabels(labels)} ${value}`);
    }
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${renderLabels(s.labels, ["le", String(b)])} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(s.labels, ["le", "+Inf"])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${renderLabels(s.labels)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  constructor(readonly name: string, readonly help: string, readonly read: () => number) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`]
      .join("\n");
  }
}

/** The metrics every part of the app reports into. */
export class Metrics {
  readonly startedAt = Date.now();
  readonly httpRequests = new Counter(
    "pytake_http_requests_total",
    "HTTP requests by route template, method and status.",
  );
  readonly httpDuration = new Histogram(
    "pytake_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly jobsRun = new Counter("pytake_jobs_run_total", "Background jobs run, by name and outcome.");
  readonly webhookEvents = new Counter(
    "pytake_webhook_events_total",
    "Inbound webhook calls by provider and outcome (stored, duplicate, processed, failed).",
  );
  readonly eventsPublished = new Counter(
    "pytake_events_published_total",
    "Domain events published, by type.",
  );
  #extra: Metric[] = [
    new Gauge(
      "pytake_uptime_seconds",
      "Seconds since this process started.",
      () => Math.round((Date.now() - this.startedAt) / 1000),
    ),
  ];

  /** Lets an area add its own metric without touching this file's list. */
  register<M extends Metric>(metric: M): M {
    this.#extra.push(metric);
    return metric;
  }

  render(): string {
    return [
      this.httpRequests,
      this.httpDuration,
      this.jobsRun,
      this.webhookEvents,
      this.eventsPublished,
      ...this.#extra,
    ]
      .map((m) => m.render())
      .join("\n") + "\n";
  }
}
