/**
 * `deno run -A bench/edge-costs.ts`: counts what each common operation costs on the production
 * topology (the Worker bundle in workerd with Neon, Upstash and QStash stand-ins behind their
 * production host names): Neon HTTP requests and the statements in them, Upstash commands,
 * QStash messages published. First what the request itself does before it answers (QStash held),
 * then everything its background jobs add. Counts, not timings: docs/scale.md builds on them.
 */
import { inboundTextPayload, statusPayload } from "../tests/support/graph-standin.ts";
import { PRODUCTION, startProductionTopology } from "../tests/support/production-topology.ts";

const t = await startProductionTopology({ AUTH_RATE_LIMIT_PER_MINUTE: "1000" });
const { worker, neon, upstash, qstash, graph } = t;

interface Counts {
  neonRequests: number;
  statements: number;
  upstashCommands: number;
  qstashPublished: number;
  qstashDeliveries: number;
}

function snapshot(): Counts {
  let statements = 0;
  for (const r of neon.requests) {
    const b = r.body as { queries?: unknown[] } | undefined;
    statements += Array.isArray(b?.queries) ? b.queries.length : 1;
  }
  let upstashCommands = 0;
  for (const r of upstash.requests) {
    upstashCommands += r.path === "/pipeline" || r.path === "/multi-exec"
      ? (Array.isArray(r.body) ? r.body.length : 0)
      : 1;
  }
  return {
    neonRequests: neon.requests.length,
    statements,
    upstashCommands,
    qstashPublished: qstash.published.length,
    qstashDeliveries: qstash.deliveries.length,
  };
}

const diff = (a: Counts, b: Counts): Counts => ({
  neonRequests: b.neonRequests - a.neonRequests,
  statements: b.statements - a.statements,
  upstashCommands: b.upstashCommands - a.upstashCommands,
  qstashPublished: b.qstashPublished - a.qstashPublished,
  qstashDeliveries: b.qstashDeliveries - a.qstashDeliveries,
});

const rows: string[] = [];
async function measure(name: string, op: () => Promise<Response>): Promise<Response> {
  qstash.pause();
  const before = snapshot();
  const res = await op();
  const text = await res.clone().text();
  if (res.status >= 400) throw new Error(`${name}: ${res.status} ${text}`);
  // The request's own `waitUntil` work (if any) settles within a moment; jobs are held.
  await new Promise((r) => setTimeout(r, 200));
  const request = diff(before, snapshot());
  qstash.resume();
  await qstash.waitForIdle(30_000);
  const all = diff(before, snapshot());
  const jobs = diff(request, all);
  rows.push(
    `| ${name} | ${request.neonRequests} (${request.statements}) | ${request.upstashCommands} | ${request.qstashPublished} | ${jobs.qstashDeliveries} | ${jobs.neonRequests} (${jobs.statements}) | ${jobs.upstashCommands} | ${jobs.qstashPublished} |`,
  );
  return res;
}

try {
  const reg = await measure("register (new tenant)", () =>
    worker.request("/api/v1/auth/register", {
      method: "POST",
      json: {
        email: "custo@fibra.com.br",
        password: "Senha-forte-1",
        name: "Custo",
        tenant_name: "Fibra Custo",
      },
    }));
  const { token } = await reg.json() as { token: string };
  await measure("login", () =>
    worker.request("/api/v1/auth/login", {
      method: "POST",
      json: { email: "custo@fibra.com.br", password: "Senha-forte-1" },
    }));
  await measure(
    "GET /auth/me, first of a session (caches cold)",
    () => worker.request("/api/v1/auth/me", { token }),
  );
  await measure("GET /auth/me again (caches warm)", () => worker.request("/api/v1/auth/me", { token }));
  const number = await worker.request("/api/v1/whatsapp-configs", {
    method: "POST",
    token,
    json: {
      api_type: "official",
      name: "Atendimento",
      phone_number: `+${PRODUCTION.meta.display}`,
      phone_number_id: PRODUCTION.meta.phoneNumberId,
      business_account_id: PRODUCTION.meta.wabaId,
      access_token: PRODUCTION.meta.accessToken,
      app_secret: PRODUCTION.meta.appSecret,
    },
  });
  await number.body?.cancel();
  const hook = await worker.request("/api/v1/webhooks", {
    method: "POST",
    token,
    json: { url: `https://${PRODUCTION.hookHost}/hook`, events: ["message.received", "message.sent"] },
  });
  await hook.body?.cancel();
  const inbound = (text: string) => () =>
    graph.deliverWebhook(
      `${worker.url}/api/v1/whatsapp/webhook`,
      inboundTextPayload({
        wabaId: PRODUCTION.meta.wabaId,
        phoneNumberId: PRODUCTION.meta.phoneNumberId,
        displayPhoneNumber: PRODUCTION.meta.display,
        from: "5511987650042",
        name: "Cliente",
        text,
      }),
      PRODUCTION.meta.appSecret,
    );
  await measure("inbound Meta message, new contact (1 webhook endpoint)", inbound("Oi"));
  await measure("inbound Meta message, known contact", inbound("Minha internet caiu"));
  await measure(
    "send a text through Meta (1 webhook endpoint)",
    () =>
      worker.request("/api/v1/whatsapp/send", {
        method: "POST",
        token,
        json: { to: "+5511987650042", message: "Vamos verificar." },
      }),
  );
  const wamid = graph.sent.at(-1)!.wamid;
  await measure("Meta status webhook (delivered) for that message", () =>
    graph.deliverWebhook(
      `${worker.url}/api/v1/whatsapp/webhook`,
      statusPayload({
        wabaId: PRODUCTION.meta.wabaId,
        phoneNumberId: PRODUCTION.meta.phoneNumberId,
        displayPhoneNumber: PRODUCTION.meta.display,
        wamid,
        recipientId: "5511987650042",
        status: "delivered",
      }),
      PRODUCTION.meta.appSecret,
    ));
  await measure(
    "GET /conversations (page of 20 with total)",
    () => worker.request("/api/v1/conversations?limit=20", { token }),
  );
  await measure(
    "GET /contacts (page of 20 with total)",
    () => worker.request("/api/v1/contacts?limit=20", { token }),
  );
  await measure("logout", () => worker.request("/api/v1/auth/logout", { method: "POST", token }));

  // deno-lint-ignore no-console
  console.log([
    "| operation | request: Neon requests (statements) | request: Upstash commands | request: QStash publishes | jobs delivered | jobs: Neon requests (statements) | jobs: Upstash commands | jobs: QStash publishes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n"));
} finally {
  await t.close();
}
