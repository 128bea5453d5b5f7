import { upstashAdapterContracts } from "../contracts/upstash-adapters.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";

/**
 * The production KV and rate-limit adapters through the Upstash REST stand-in over its
 * in-process Redis: what the workerd production test relies on, held to the same contracts the
 * integration suite runs over a real Redis.
 */
upstashAdapterContracts("REST stand-in over the in-process Redis", async () => ({
  standIn: await startUpstashStandIn({ token: "memory-token", redis: "memory" }),
  token: "memory-token",
}));
