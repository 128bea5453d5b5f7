import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Config } from "../config.ts";
import type { AppEnv } from "./app-env.ts";
import { PROBLEM_TYPE_BASE } from "./problem.ts";

/** Tags, one per section of the product spec, in its order. */
export const tags = [
  { name: "Auth", description: "Registration, login, token refresh, password reset, email verification." },
  {
    name: "WhatsApp numbers",
    description: "WhatsApp Business numbers: Meta Cloud API, Evolution API or sandbox.",
  },
  { name: "Messages", description: "Sending messages, the inbound webhook, history and delivery status." },
  { name: "Conversations", description: "The shared inbox: status, assignment, transfer, tags, notes." },
  { name: "Flows", description: "Chatbot flows: build, validate, publish, test and measure." },
  { name: "Campaigns", description: "Broadcast campaigns with scheduling, throttling and analytics." },
  { name: "Contacts", description: "The customer base: import, export, tags, search, consent." },
  { name: "Tenants", description: "Platform administration of tenants, plans and suspensions." },
  {
    name: "ERP",
    description: "ISP ERPs (IXCSoft, SGP, MK Solutions, HubSoft): customers, invoices, tickets.",
  },
  { name: "AI", description: "Sentiment, intents, summaries, suggested replies, translation, entities." },
  { name: "Dashboard", description: "Supervisor dashboards: overview, KPIs, charts, queue, alerts." },
  { name: "Webhooks", description: "Outgoing webhooks: signed event deliveries with retries." },
  { name: "Users", description: "Users, roles, permissions, API keys and activity." },
  { name: "Privacy", description: "LGPD: consent, data export, erasure, anonymisation, audit." },
  { name: "Observability", description: "Health, readiness, liveness, metrics, traces and logs." },
  { name: "GraphQL", description: "A GraphQL view over the same data." },
  { name: "Realtime", description: "WebSocket events for agents' front ends." },
  { name: "Internal", description: "Callbacks of our own infrastructure (QStash)." },
];

export function registerOpenApiComponents(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A user's access token (JWT from `POST /api/v1/auth/login`, valid 15 minutes) or a tenant API key (`pk_…`).",
  });
}

export function openApiConfig(config: Config) {
  return {
    openapi: "3.1.0",
    info: {
      title: "PyTake Edge API",
      version: config.version,
      description: [
        "Multi-tenant WhatsApp Business automation: inbox, chatbot flows, campaigns, contacts, ISP ERPs, AI and LGPD tooling.",
        "",
        "Conventions: JSON in snake_case; lists take `page` and `limit` (at most 100) and answer `{ data, meta: { page, limit, total } }`;",
        `every error is RFC 9457 \`application/problem+json\` with a stable \`code\` (see ${PROBLEM_TYPE_BASE}<code>) and the \`request_id\``,
        "that every response also carries in `X-Request-Id`. POSTs that send or start work accept `Idempotency-Key`.",
      ].join("\n"),
    },
    servers: [{ url: config.publicBaseUrl }],
    tags,
  };
}
