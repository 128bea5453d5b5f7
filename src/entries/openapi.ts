/** `deno task openapi`: prints the OpenAPI document as JSON and exits; touches no database. */
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { openApiConfig } from "../http/openapi-document.ts";
import { createObservability } from "../observability/observability.ts";
import { assembleServices } from "../platform/assemble-services.ts";
import type { Database } from "../platform/db/database.ts";
import { LocalRealtime } from "../platform/realtime/local-realtime.ts";

/** Building the app registers every route; nothing here may run a query. */
const noDatabase = new Proxy({ kind: "pglite", concurrency: 1 } as Database, {
  get(target, prop) {
    if (prop === "kind" || prop === "concurrency") return target[prop];
    throw new Error("deno task openapi does not open the database");
  },
});

const env = Deno.env.toObject();
const config = parseConfig({
  ...env,
  DATABASE_URL: "memory://",
  JWT_SECRET: "x".repeat(32),
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "silent",
  QSTASH_TOKEN: undefined,
  QSTASH_CURRENT_SIGNING_KEY: undefined,
  QSTASH_NEXT_SIGNING_KEY: undefined,
});
const services = assembleServices(config, noDatabase, createObservability({ level: "silent" }), {
  realtime: new LocalRealtime(),
});
const app = createApp(services);
// deno-lint-ignore no-console
console.log(JSON.stringify(app.getOpenAPI31Document(openApiConfig(config)), null, 2));
