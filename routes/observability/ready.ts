import { z } from "@hono/zod-openapi";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonContent, ProblemSchema } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import type { App } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";
import { TAG } from "./tag.ts";

const Check = z.object({
  status: z.enum(["up", "down"]),
  driver: z.string(),
  latency_ms: z.number(),
  error: z.string().optional(),
}).openapi("ReadinessCheck");

const Checks = z.object({ database: Check, kv: Check });

export const ReadyResponse = z.object({ status: z.literal("ready"), checks: Checks }).openapi("Readiness");

export const route = defineRoute({ public: true }, {
  method: "get",
  path: "/observability/ready",
  tags: [TAG],
  operationId: "getReadiness",
  summary: "Readiness probe: database and KV",
  description:
    "Pings the database and the KV store. 503 (a problem with `checks`) names the part that is down; send no traffic until it answers 200 again.",
  responses: {
    200: jsonContent(ReadyResponse, "Every dependency answers."),
    503: {
      description: "A dependency is down; `checks` says which.",
      content: { "application/problem+json": { schema: ProblemSchema.extend({ checks: Checks }) } },
    },
  },
});

const TIMEOUT_MS = 2000;

async function probe(driver: string, ping: () => Promise<void>): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ping(),
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
      ),
    ]);
    return { status: "up", driver, latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      status: "down",
      driver,
      latency_ms: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message.slice(0, 200) : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(s: Services) {
  const [database, kv] = await Promise.all([
    probe(s.database.kind, () => s.database.ping()),
    probe(s.kv.kind, () => s.kv.ping()),
  ]);
  return { database, kv };
}

export const registerReady = (app: App) =>
  app.openapi(route, async (c) => {
    const checks = await readiness(c.get("services"));
    const down = Object.entries(checks).filter(([, v]) => v.status === "down").map(([k]) => k);
    if (down.length > 0) {
      throw new ApiError("service_unavailable", `Not ready: ${down.join(" and ")} unavailable`, {
        extensions: { checks },
        headers: { "Retry-After": "5" },
      });
    }
    return c.json({ status: "ready" as const, checks }, 200);
  });
