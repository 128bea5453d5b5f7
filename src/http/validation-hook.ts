import type { Hook, z } from "@hono/zod-openapi";
import { textFaults } from "../core/storable-text.ts";
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

type Issue = z.core.$ZodIssue;

/** One issue as the fields it names: an unknown-keys issue names each key it found. */
function fieldErrors(issue: Issue, base: string[]): FieldError[] {
  const at = [...base, ...issue.path.map(String)];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...at, key];
      return { path: path.join("."), message: `Received unknown parameter: ${path.slice(1).join(".")}` };
    });
  }
  if (issue.code === "invalid_union") {
    // The branch that failed only on unknown fields is the one the client meant: name those.
    const near = issue.errors.find((branch) =>
      branch.length > 0 && branch.every((i) => i.code === "unrecognized_keys")
    );
    if (near) return near.flatMap((i) => fieldErrors(i, at));
  }
  return [{ path: at.join("."), message: issue.message }];
}

/**
 * The `defaultHook` of every OpenAPI route: a failed zod validation becomes a 422 problem with
 * one `{ path, message }` per issue, the path prefixed by where the value came from. Text the
 * database cannot store (NUL, lone surrogates) fails here too, whatever the schema says, so it
 * never reaches a statement: on success the hook sees the parsed value, on failure the raw input.
 */
// deno-lint-ignore no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result, c) => {
  const prefix = where[result.target] ?? result.target;
  // @hono/zod-validator passes the raw input as `data` on failure (the type knows it only on success).
  const faults = textFaults((result as { data?: unknown }).data, [prefix]);
  // The query is validated before the path: a NUL in the path must still be named when the query
  // fails first (the path's own turn never comes once this hook throws).
  if (result.target === "query" && (!result.success || faults.length)) {
    textFaults(c.req.param(), ["path"], faults);
  }
  if (result.success && faults.length === 0) return;
  const errors: FieldError[] = [
    ...(result.success
      ? []
      : (result.error.issues as Issue[]).flatMap((issue) => fieldErrors(issue, [prefix]))),
    ...faults.map((f) => ({ path: f.path.join("."), message: f.message })),
  ];
  const n = errors.length;
  throw new ApiError(
    "validation_failed",
    `The request has ${n} invalid ${n === 1 ? "field" : "fields"}`,
    { errors },
  );
};
