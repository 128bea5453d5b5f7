import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import { ApiError, type FieldError } from "./problem.ts";

const where: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
};

/**
 * The `defaultHook` of every OpenAPI route: a failed zod validation becomes a 422 problem with
 * one `{ path, message }` per issue, the path prefixed by where the value came from.
 */
// deno-lint-ignore no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const prefix = where[result.target] ?? result.target;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const n = errors.length;
  throw new ApiError(
    "validation_failed",
    `The request has ${n} invalid ${n === 1 ? "field" : "fields"}`,
    { errors },
  );
};
