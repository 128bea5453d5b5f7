import type { Context } from "hono";
import type { AppEnv } from "../../src/http/app-env.ts";
import { background } from "../../src/http/background.ts";
import { ApiError } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { erpFor, type ErpSession } from "../../src/erp/erp-service.ts";
import { type ErpType, erpTypes, isErpType } from "../../src/erp/model.ts";

/** What every ERP route does first: which ERP (404 listing the five for anything else), whose tenant. */

export function erpTypeOf(raw: string): ErpType {
  if (isErpType(raw)) return raw;
  throw new ApiError("not_found", `Unknown ERP \`${raw}\`; use one of ${erpTypes.join(", ")}`, {
    extensions: { erp_types: erpTypes },
  });
}

export function tenantOf(c: Context<AppEnv>): string {
  const tenantId = c.get("principal")?.tenantId;
  if (!tenantId) throw new ApiError("forbidden", "ERP routes act on a tenant; this credential has none");
  return tenantId;
}

/** The call log goes to the background: the answer does not wait for it. */
export const deferTo = (c: Context<AppEnv>) => (work: Promise<unknown>) => background(c, work);

/** The tenant's connection of this ERP as a domain session (409 `erp_not_connected` without one). */
export async function sessionOf(c: Context<AppEnv>, raw: string): Promise<ErpSession> {
  const type = erpTypeOf(raw);
  const tenantId = tenantOf(c);
  return unwrap(
    await erpFor(c.get("services"), tenantId, { type, defer: deferTo(c), requestId: c.get("requestId") }),
  );
}
