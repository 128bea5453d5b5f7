import { upstashAdapterContracts } from "../contracts/upstash-adapters.ts";
import { connectResp } from "../support/resp-client.ts";
import { startUpstashStandIn } from "../support/upstash-standin.ts";

/** The KV and rate-limit contracts on the production adapters: Upstash REST over a real Redis. */
const DB = 14;

async function upstash() {
  const direct = await connectResp({ db: DB });
  await direct.command(["FLUSHDB"]);
  await direct.close();
  const standIn = await startUpstashStandIn({ token: "contract-token", redis: { db: DB } });
  return { standIn, token: "contract-token" };
}

upstashAdapterContracts("REST stand-in over real Redis", upstash);
