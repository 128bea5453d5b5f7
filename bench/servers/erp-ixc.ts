/** The IXC stand-in in its own process, so ERP lookups are measured against a separate peer. */
import { startIxcStandIn } from "../../tests/support/erp-ixc-standin.ts";

if (import.meta.main) {
  const ixc = await startIxcStandIn();
  // The parent reads the port from stdout.
  // deno-lint-ignore no-console
  console.log(`PORT ${new URL(ixc.url).port}`);
}
