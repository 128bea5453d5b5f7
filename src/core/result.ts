import type { Failure, ProblemCode } from "../http/problem.ts";

/** Expected outcomes of domain code: a value or a failure, never an exception (DESIGN §9). */
export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(
  code: ProblemCode,
  detail: string,
  extra: Omit<Failure, "code" | "detail"> = {},
): Result<T> => ({ ok: false, failure: { code, detail, ...extra } });
