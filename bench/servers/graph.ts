/** The Graph API stand-in in its own process, so sends are measured against a separate peer. */
import { startGraphStandIn } from "../../tests/support/graph-standin.ts";

export const BENCH_NUMBER = {
  phoneNumberId: "106540352242922",
  accessToken: "EAAGbenchaccesstoken0123456789",
  displayPhoneNumber: "+55 11 95555-1234",
  verifiedName: "Bench ISP",
};

if (import.meta.main) {
  const graph = await startGraphStandIn();
  graph.addNumber({ ...BENCH_NUMBER, qualityRating: "GREEN" });
  // The parent reads the port from stdout.
  // deno-lint-ignore no-console
  console.log(`PORT ${new URL(graph.url).port}`);
}
