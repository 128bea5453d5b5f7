import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { App } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { PermanentJobError } from "../../src/platform/jobs/jobs.ts";
import { jobCallbackPath, verifyQStashSignature } from "../../src/platform/jobs/qstash-jobs.ts";
import { errorSummary } from "../../src/observability/redact.ts";

/**
 * QStash's signature covers the exact bytes and the public URL, so it is checked on the raw body
 * before anything parses it (known-pitfalls G.2, G.3, G.4).
 */
const verifyQStash: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config } = c.get("services");
  const rawBody = await c.req.text();
  const valid = config.qstash !== undefined && await verifyQStashSignature(config.qstash, {
    signature: c.req.header("upstash-signature"),
    rawBody,
    url: config.publicBaseUrl + jobCallbackPath(c.req.param("name") ?? ""),
  });
  if (!valid) throw new ApiError("invalid_signature", "Missing or invalid Upstash-Signature");
  await next();
};

export const route = defineRoute({ signature: "qstash" }, {
  method: "post",
  path: "/internal/jobs/{name}",
  tags: ["Internal"],
  operationId: "runJob",
  summary: "Run a background job (QStash callback)",
  description:
    "QStash delivers each published job here, signed with `Upstash-Signature` (current or next signing key). 2xx completes the job; 5xx makes QStash retry; 489 with `Upstash-NonRetryable-Error` stops retries for a job that can never succeed.",
  middleware: [verifyQStash],
  request: {
    params: z.object({
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).openapi({ param: { name: "name", in: "path" } }),
    }),
    body: jsonBody(z.object({ payload: z.unknown() })),
  },
  responses: {
    200: jsonContent(z.object({ status: z.literal("completed") }), "The job ran."),
  },
});

export const registerJobReceiver = (app: App) =>
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const { payload } = c.req.valid("json");
    const { jobRegistry, obs } = c.get("services");
    const retried = Number(c.req.header("upstash-retried") ?? "0") || 0;
    const maxAttempts = jobRegistry.maxAttempts(name);
    const jobId = c.req.header("upstash-message-id") ?? "unknown";
    try {
      await jobRegistry.run(name, payload, {
        jobId,
        attempt: retried + 1,
        maxAttempts,
        log: c.get("log").child({ service: "jobs", job: name, job_id: jobId }),
      });
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      const last = permanent || retried + 1 >= maxAttempts;
      obs.metrics.jobsRun.inc({ name, outcome: last ? "failed" : "retry" });
      c.get("log").warn("job failed", { service: "jobs", job: name, error: err, permanent });
      if (permanent) {
        throw new ApiError("not_retryable", `Job ${name} cannot succeed: ${errorSummary(err, 500)}`, {
          headers: { "Upstash-NonRetryable-Error": "true" },
        });
      }
      throw err;
    }
    obs.metrics.jobsRun.inc({ name, outcome: "completed" });
    return c.json({ status: "completed" as const }, 200);
  });
