import { guardedFetcher } from "../../platform/http/guarded-fetch.ts";
import type { Services } from "../../services.ts";
import { EvolutionProvider } from "./evolution.ts";
import { MetaCloudProvider } from "./meta-cloud.ts";
import type { ConfigRow, Credentials, ProviderContext, WhatsAppProvider } from "./provider.ts";
import { SandboxProvider } from "./sandbox.ts";

const meta = new MetaCloudProvider();
export const evolution = new EvolutionProvider();

export function providerFor(s: Services, config: ConfigRow): WhatsAppProvider {
  switch (config.apiType) {
    case "official":
      return meta;
    case "evolution":
      return evolution;
    case "sandbox":
      return new SandboxProvider(s);
  }
}

/** Everything a provider call needs about one number, credentials decrypted for the call only. */
export async function providerContext(s: Services, config: ConfigRow): Promise<ProviderContext> {
  return {
    config,
    credentials: await s.secrets.open<Credentials>(config.credentials),
    // An Evolution server is an address a tenant typed: called through the outbound guard.
    fetch: config.apiType === "evolution" ? guardedFetcher(s) : s.fetch,
    graph: { baseUrl: s.config.whatsapp.graphBaseUrl, version: s.config.whatsapp.graphVersion },
  };
}
