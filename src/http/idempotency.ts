import type { MiddlewareHandler } from "hono";
import { sha256Hex } from "../core/crypto.ts";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./problem.ts";

const TTL_SECONDS = 24 * 3600;
const KEY = /^[\x21-\x7e]{1,255}$/;

interface Stored {
  state: "in_progress" | "done";
  fingerprint: string;
  status?: number;
  body?: string;
  contentType?: string;
}

/**
 * `Idempotency-Key` on POSTs that send or start work (DESIGN §5): the first request with a key
 * runs and its successful answer is kept for 24 hours; a retry with the same key and the same
 * request gets that answer back (`Idempotent-Replayed: true`) and nothing runs twice. A failed
 * first attempt is not kept, so the client may retry it with the same key.
 */
export const idempotent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return await next();
  if (!KEY.test(key)) {
    throw new ApiError("validation_failed", "Idempotency-Key must be 1 to 255 visible ASCII characters", {
      errors: [{ path: "header.idempotency-key", message: "1 to 255 visible ASCII characters" }],
    });
  }
  const { kv } = c.get("services");
  const principal = c.get("principal");
  const scope = principal?.tenantId ?? (principal?.kind === "user" ? principal.userId : "anonymous");
  const kvKey = `idem:${scope}:${await sha256Hex(key)}`;
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);

  const claimed = await kv.set(
    kvKey,
    JSON.stringify({ state: "in_progress", fingerprint } satisfies Stored),
    {
      ttlSeconds: TTL_SECONDS,
      onlyIfAbsent: true,
    },
  );
  if (!claimed) {
    const raw = await kv.get(kvKey);
    const stored = raw ? JSON.parse(raw) as Stored : null;
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        throw new ApiError("conflict", "This Idempotency-Key was already used for a different request");
      }
      if (stored.state === "in_progress") {
        throw new ApiError(
          "conflict",
          "A request with this Idempotency-Key is still being processed; retry shortly",
          {
            headers: { "Retry-After": "1" },
          },
        );
      }
      return c.body(stored.body ?? "", stored.status as 200, {
        "Content-Type": stored.contentType ?? "application/json",
        "Idempotent-Replayed": "true",
      });
    }
    // Expired between the two calls: treat as new.
    await kv.set(kvKey, JSON.stringify({ state: "in_progress", fingerprint } satisfies Stored), {
      ttlSeconds: TTL_SECONDS,
    });
  }
  try {
    await next();
  } catch (err) {
    await kv.del(kvKey);
    throw err;
  }
  const status = c.res.status;
  if (status >= 200 && status < 300) {
    const stored: Stored = {
      state: "done",
      fingerprint,
      status,
      body: await c.res.clone().text(),
      contentType: c.res.headers.get("content-type") ?? undefined,
    };
    await kv.set(kvKey, JSON.stringify(stored), { ttlSeconds: TTL_SECONDS });
  } else {
    await kv.del(kvKey);
  }
};
