import type { ErpType } from "../model.ts";
import type { ErpClient, Operation } from "../port.ts";
import { SandboxErp } from "../sandbox/sandbox-erp.ts";
import type { AdapterContext } from "./common.ts";
import { HUBSOFT_UNSUPPORTED, HubsoftErp } from "./hubsoft.ts";
import { IXC_UNSUPPORTED, IxcErp } from "./ixc.ts";
import { MK_UNSUPPORTED, MkErp } from "./mk.ts";
import { SGP_UNSUPPORTED, SgpErp } from "./sgp.ts";

/** The adapter that speaks `type`'s protocol, for one connection. */
export function adapterFor(type: ErpType, ctx: AdapterContext): ErpClient {
  switch (type) {
    case "ixc":
      return new IxcErp(ctx);
    case "sgp":
      return new SgpErp(ctx);
    case "mk":
      return new MkErp(ctx);
    case "hubsoft":
      return new HubsoftErp(ctx);
    case "sandbox":
      return new SandboxErp(ctx);
  }
}

/** What `type` cannot do, each with what to do instead; the sandbox does everything. */
export const unsupportedOf = (type: ErpType): Partial<Record<Operation, string>> =>
  ({
    ixc: IXC_UNSUPPORTED,
    sgp: SGP_UNSUPPORTED,
    mk: MK_UNSUPPORTED,
    hubsoft: HUBSOFT_UNSUPPORTED,
    sandbox: {},
  })[type];
