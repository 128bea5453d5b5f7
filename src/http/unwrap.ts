import type { Result } from "../core/result.ts";
import { ApiError } from "./problem.ts";

/** The HTTP edge's one conversion of a domain failure into a problem response. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw ApiError.from(result.failure);
  return result.value;
}
