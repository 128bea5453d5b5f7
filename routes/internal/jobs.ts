import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { App } from "../../src/app.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody, jsonContent, problemResponse } from "../../src/http/openapi-schemas.ts";
import { ApiError } from "../../src/http/problem.ts";
import { PermanentJobError } from "../../src/platform/jobs/jobs.ts";
import { DeliveryLedger } from "../../src/platform/jobs/delivery-ledger.ts";
import { jobCallbackPath, verifyQStashDelivery } from "../../src/platform/jobs/qstash-jobs.ts";
import { errorSummary } from "../../src/observability/redact.ts";

/**
 * QStash's signature covers the exact bytes and the public URL, so it is checked on the raw body
 * before anything parses it (known-pitfalls G.2, G.3, G.4). Each signature is good once: a
 * request captured and sent again is refused like a forged one, before anything runs.
 */
const verifyQStash: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config, kv, clock } = c.get("services");
  const rawBody = await c.req.text();
  const claims = config.qstash && await verifyQStashDelivery(config.qstash, {
    signature: c.req.header("upstash-signature"),
    rawBody,
    url: config.publicBaseUrl + jobCallbackPath(c.req.param("name") ?? ""),
  });
  if (!claims) throw new ApiError("invalid_signature", "Missing or invalid Upstash-Signature");
  if (!await new DeliveryLedger(kv).firstUseOfSignature(claims.jti, claims.exp, clock.now().getTime())) {
    throw new ApiError("invalid_signature", "This Upstash-Signature was already used (a replay)");
  }
  await next();
};

export const route = defineRoute({ signature: "qstash" }, {
  method: "post",
  path: "/internal/jobs/{name}",
  tags: ["Internal"],
  operationId: "runJob",
  summary: "Run a background job (QStash callback)",
  description:
    "QStash delivers each published job here, signed with `Upstash-Signature` (current or next signing key); a signature is accepted once, so a replayed request is 401 like a forged one. Each message runs once however often it is delivered: a delivery of a message that already ran is answered 200 without running it, one that arrives while it runs gets 409 and QStash retries it later. 2xx completes the job; 5xx makes QStash retry with its backoff; 489 with `Upstash-NonRetryable-Error` stops retries for a job that can never succeed.",
  middleware: [verifyQStash],
  request: {
    params: z.object({
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).openapi({ param: { name: "name", in: "path" } }),
    }),
    body: jsonBody(z.object({
      payload: z.unknown(),
      max_attempts: z.number().int().positive().optional().openapi({
        description:
          "Attempts this message gets in all (QStash's retries + 1); the handler's default when absent.",
      }),
    })),
  },
  responses: {
    200: jsonContent(
      z.object({
        status: z.literal("completed"),
        duplicate: z.boolean().openapi({ description: "True when an earlier delivery already ran it." }),
      }),
      "The job ran (now or on an earlier delivery).",
    ),
    400: problemResponse("No `Upstash-Message-Id`: the delivery cannot be told apart from another."),
    409: problemResponse("Another delivery of this message is running it; QStash retries later."),
    489: problemResponse("The job can never succeed (or already failed for good); QStash stops retrying."),
  },
});

export const registerJobReceiver = (app: App) =>
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const { payload, max_attempts } = c.req.valid("json");
    const { jobRegistry, obs } = c.get("services");
    const retried = Number(c.req.header("upstash-retried") ?? "0") || 0;
    const maxAttempts = max_attempts ?? jobRegistry.maxAttempts(name);
    const jobId = c.req.header("upstash-message-id");
    if (!jobId) throw new ApiError("bad_request", "Missing Upstash-Message-Id");
    const ledger = new DeliveryLedger(c.get("services").kv);
    const state = await ledger.claim(jobId);
    if (state === "completed") return c.json({ status: "completed" as const, duplicate: true }, 200);
    if (state === "dead") {
      throw new ApiError("not_retryable", `Job ${name} already failed for good`, {
        headers: { "Upstash-NonRetryable-Error": "true" },
      });
    }
    if (state === "running") throw new ApiError("conflict", `Job ${name} is running on another delivery`);
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
      if (last) await ledger.finish(jobId, "dead");
      else await ledger.release(jobId);
      obs.metrics.jobsRun.inc({ name, outcome: last ? "failed" : "retry" });
      c.get("log").warn("job failed", { service: "jobs", job: name, error: err, permanent });
      if (permanent) {
        throw new ApiError("not_retryable", `Job ${name} cannot succeed: ${errorSummary(err, 500)}`, {
          headers: { "Upstash-NonRetryable-Error": "true" },
        });
      }
      throw err;
    }
    await ledger.finish(jobId, "completed");
    obs.metrics.jobsRun.inc({ name, outcome: "completed" });
    return c.json({ status: "completed" as const, duplicate: false }, 200);
  });
