/** SQLSTATE of a database error, looked up through the causes drizzle and the drivers wrap it in. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const x = e as { code?: unknown; cause?: unknown; sourceError?: unknown };
    if (typeof x.code === "string" && /^[0-9A-Z]{5}$/.test(x.code)) return x.code;
    e = x.cause ?? x.sourceError;
  }
  return undefined;
}

/** The name of the violated constraint, when the driver reports it. */
export function constraintName(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const x = e as { constraint?: unknown; constraint_name?: unknown; cause?: unknown };
    if (typeof x.constraint === "string") return x.constraint;
    if (typeof x.constraint_name === "string") return x.constraint_name;
    e = x.cause;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown): boolean => sqlState(err) === "23505";
