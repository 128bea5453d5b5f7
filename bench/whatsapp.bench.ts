import { createHmac } from "node:crypto";
import { type BenchReport, load, type LoadResult, median, startServer } from "./lib.ts";

/**
 * Inbound webhook ingestion on the embedded database: time to the 200 at a fixed 300 events/s
 * and the highest sustained rate, against a handler that only reads the body and answers 200;
 * and sends per second through the Graph API stand-in against calling the stand-in directly.
 */

/** Distinct signed Meta text-message webhooks, made before the clock starts. */
function webhooks(count: number, phoneNumberId: string, secret: string) {
  const out: { body: string; headers: Record<string, string> }[] = [];
  const run = crypto.randomUUID().slice(0, 8);
  for (let i = 0; i < count; i++) {
    const from = `55119${String(10_000_000 + (i % 5000)).slice(-8)}`;
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [{
        id: "102290129340398",
        changes: [{
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "5511955551234", phone_number_id: phoneNumberId },
            contacts: [{ profile: { name: `Cliente ${i % 5000}` }, wa_id: from }],
            messages: [{
              from,
              id: `wamid.bench${run}${i}`,
              timestamp: String(Math.floor(Date.now() / 1000)),
              type: "text",
              text: { body: `Mensagem ${i}: minha conexão está lenta desde ontem` },
            }],
          },
          field: "messages",
        }],
      }],
    });
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    out.push({ body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } });
  }
  let next = 0;
  return () => out[next++ % out.length];
}

async function processedCount(url: string): Promise<{ stored: number; processed: number }> {
  const text = await (await fetch(`${url}/observability/metrics`, {
    headers: { authorization: "Bearer bench-scrape-token" },
  })).text();
  const value = (outcome: string) =>
    Number(
      text.match(new RegExp(`pytake_webhook_events_total\\{outcome="${outcome}",provider="meta"\\} (\\d+)`))
        ?.[1] ??
        0,
    );
  return { stored: value("stored"), processed: value("processed") };
}

const row = (metric: string, base: number, cand: number, digits = 0, target?: string, verdict?: string) => ({
  metric,
  baseline: base.toFixed(digits),
  candidate: cand.toFixed(digits),
  ratio: base ? (cand / base).toFixed(2) : "n/a",
  ...(target ? { target } : {}),
  ...(verdict ? { verdict } : {}),
});

export async function whatsappBench(opts: { seconds: number; rounds: number }): Promise<BenchReport[]> {
  const graph = await startServer("bench/servers/graph.ts");
  const app = await startServer("bench/servers/full-app.ts", { BENCH_GRAPH_URL: graph.url });
  const bare = await startServer("bench/servers/bare-webhook.ts");
  try {
    const next = webhooks(200_000, app.info.PHONEID, app.info.SECRET);
    const hook = `${app.url}/api/v1/whatsapp/webhook`;
    const ok = (r: LoadResult) => {
      if (r.errors || r.non2xx) throw new Error(`errors during the run: ${JSON.stringify(r)}`);
      return r;
    };
    await load(hook, { seconds: 2, connections: 10, method: "POST", next });
    await load(bare.url, { seconds: 2, connections: 10, method: "POST", next });

    // Fixed load: what a busy ISP's numbers send, measured for latency.
    const fixedApp: LoadResult[] = [];
    const fixedBare: LoadResult[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      fixedBare.push(
        ok(await load(bare.url, { seconds: opts.seconds, connections: 10, rate: 300, method: "POST", next })),
      );
      fixedApp.push(
        ok(await load(hook, { seconds: opts.seconds, connections: 10, rate: 300, method: "POST", next })),
      );
    }
    // Open load: as fast as the server acknowledges; then wait for processing to catch up.
    const before = await processedCount(app.url);
    const started = performance.now();
    const maxApp = ok(await load(hook, { seconds: opts.seconds, connections: 20, method: "POST", next }));
    let after = await processedCount(app.url);
    while (after.processed < after.stored && performance.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 200));
      after = await processedCount(app.url);
    }
    const drainedSeconds = (performance.now() - started) / 1000;
    const processedRate = (after.processed - before.processed) / drainedSeconds;
    const maxBare = ok(
      await load(bare.url, { seconds: opts.seconds, connections: 20, method: "POST", next }),
    );

    // Sends: our whole send path against posting the same body to the stand-in directly.
    const auth = { authorization: `Bearer ${app.info.TOKEN}`, "content-type": "application/json" };
    const sendBody = JSON.stringify({
      to: `+${app.info.CUSTOMER}`,
      message: "Sua fatura de novembro está disponível.",
    });
    const directBody = JSON.stringify({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: app.info.CUSTOMER,
      type: "text",
      text: { body: "Sua fatura de novembro está disponível." },
    });
    const graphHeaders = {
      authorization: "Bearer EAAGbenchaccesstoken0123456789",
      "content-type": "application/json",
    };
    const directUrl = `${graph.url}/v23.0/106540352242922/messages`;
    await load(directUrl, {
      seconds: 2,
      connections: 10,
      method: "POST",
      body: directBody,
      headers: graphHeaders,
    });
    await load(`${app.url}/api/v1/whatsapp/send`, {
      seconds: 2,
      connections: 10,
      method: "POST",
      body: sendBody,
      headers: auth,
    });
    const direct: LoadResult[] = [];
    const ours: LoadResult[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      direct.push(
        ok(
          await load(directUrl, {
            seconds: opts.seconds,
            connections: 10,
            method: "POST",
            body: directBody,
            headers: graphHeaders,
          }),
        ),
      );
      ours.push(
        ok(
          await load(`${app.url}/api/v1/whatsapp/send`, {
            seconds: opts.seconds,
            connections: 10,
            method: "POST",
            body: sendBody,
            headers: auth,
          }),
        ),
      );
    }

    const p99 = median(fixedApp.map((r) => r.p99));
    return [{
      title: "Inbound webhooks: Meta message events on the embedded database",
      method:
        `Signed Meta text-message webhooks, each distinct (a new wamid; 5,000 different customers), posted by autocannon to the app (verify the signature over the raw body, store the raw event with its dedupe key, answer 200, then process it in the same process: contact, conversation, message, events). Baseline: a handler that reads the body and answers 200. Fixed load: 300 events/s, 10 connections, ${opts.rounds} alternating rounds of ${opts.seconds} s (medians). Open load: 20 connections for ${opts.seconds} s, then the time until every stored event was processed (read from /observability/metrics).`,
      rows: [
        row(
          "p50 to the 200 at 300/s (ms)",
          median(fixedBare.map((r) => r.p50)),
          median(fixedApp.map((r) => r.p50)),
          1,
        ),
        row(
          "p99 to the 200 at 300/s (ms)",
          median(fixedBare.map((r) => r.p99)),
          p99,
          1,
          "< 50 ms",
          p99 < 50 ? "met" : "missed",
        ),
        row("events/s acknowledged, open load", maxBare.requestsPerSecond, maxApp.requestsPerSecond),
        row("events/s acknowledged and processed", maxBare.requestsPerSecond, processedRate),
      ],
      notes: [
        `Open load: ${after.stored - before.stored} events stored, all processed ${
          drainedSeconds.toFixed(1)
        } s after the load began.`,
        "autocannon measures latency in whole milliseconds.",
      ],
    }, {
      title: "Sends through the Graph API stand-in",
      method:
        `POST /api/v1/whatsapp/send (authentication, plan and throughput limits, contact and conversation, window check, monthly counter, the message row, the Graph call, the sent update and its event) against posting the same message to the stand-in directly; 10 connections, ${opts.rounds} alternating rounds of ${opts.seconds} s, the stand-in in its own process.`,
      rows: [
        row(
          "sends/s",
          median(direct.map((r) => r.requestsPerSecond)),
          median(ours.map((r) => r.requestsPerSecond)),
        ),
        row("p99 (ms)", median(direct.map((r) => r.p99)), median(ours.map((r) => r.p99)), 1),
      ],
      notes: [
        "The stand-in answers in microseconds, so the ratio is the cost of our send path, not of the network: about nine statements on the embedded database (one connection; each ~300 µs through drizzle and PGlite's parse/describe/bind/execute round trips). Against Meta's real API, whose answers take tens of milliseconds, a send is bound by Meta; on Neon the statements are HTTP round trips and batching them is the next lever.",
      ],
    }];
  } finally {
    await app.stop();
    await graph.stop();
    await bare.stop();
  }
}
