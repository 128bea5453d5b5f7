/**
 * Deno entry (`deno task dev`, self-hosting, Deno Deploy): reads the environment once, opens the
 * embedded defaults where nothing is configured, migrates, starts the job runner and serves.
 *
 * On Deno Deploy (it sets `DENO_DEPLOYMENT_ID`) instances start on a request, stop when idle, run
 * side by side and keep no disk: the entry then asks for what Workers ask for (Neon, and in
 * production Upstash and QStash) and assumes nothing outlives a request.
 */
import { createApp } from "../app.ts";
import { ensureBootstrapAdmin } from "../bootstrap.ts";
import { scheduleSweep } from "../sweeps.ts";
import { ConfigError, parseConfig, parseServerlessConfig } from "../config.ts";
import { createObservability } from "../observability/observability.ts";
import { assembleServices } from "../platform/assemble-services.ts";
import { PackageAssets } from "../platform/assets/package-assets.ts";
import type { Mail } from "../platform/mail/mailer.ts";
import { LocalRealtime } from "../platform/realtime/local-realtime.ts";
import { withDevSecrets } from "./dev-secrets.ts";
import { openDatabase } from "./open-database.ts";

/**
 * Development's mailbox: each mail printed whole (links and their tokens included) to stderr, for
 * the developer at the console. Not a log line: logs never carry tokens or addresses.
 */
function printDevMail(mail: Mail): void {
  // deno-lint-ignore no-console
  console.error(`\n── mail (${mail.kind}) to ${mail.to}: ${mail.subject}\n${mail.text}\n──`);
}

async function main(): Promise<void> {
  const raw = Deno.env.toObject();
  const onDeploy = Boolean(raw.DENO_DEPLOYMENT_ID);
  let config;
  try {
    config = onDeploy
      ? parseServerlessConfig(raw, "deno-deploy")
      : parseConfig(await withDevSecrets(raw, raw.DATA_DIR ?? ".data"));
  } catch (err) {
    if (err instanceof ConfigError) {
      // The logger depends on the config that just failed; stderr is all there is.
      // deno-lint-ignore no-console
      console.error(err.message);
      Deno.exit(1);
    }
    throw err;
  }
  const obs = createObservability({ level: config.logLevel });
  const database = await openDatabase(config.database);
  const realtime = new LocalRealtime();
  const services = assembleServices(config, database, obs, {
    realtime,
    longLived: !onDeploy,
    assets: new PackageAssets(),
    ...(config.env === "development" ? { devMailbox: printDevMail } : {}),
  });
  const app = createApp(services);
  await ensureBootstrapAdmin(services);
  services.runner?.start();
  // Webhooks whose processing never finished are picked up every minute from now on.
  await scheduleSweep(services);

  // Hono's executionCtx throws when absent (known-pitfalls D.1); give it Deno's equivalent.
  const executionCtx = {
    waitUntil(p: Promise<unknown>) {
      p.catch((err) => obs.log.error("background task failed", { error: err }));
    },
    passThroughOnException() {},
    props: {},
  };

  const server = Deno.serve({
    port: config.port,
    onListen: ({ hostname, port }) =>
      obs.log.info("listening", {
        url: `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`,
        docs: `${config.publicBaseUrl}/docs`,
        database: database.kind,
        kv: services.kv.kind,
        jobs: services.jobs.kind,
        env: config.env,
      }),
  }, (req, info) => {
    const addr = info.remoteAddr as Deno.NetAddr;
    return app.fetch(req, { clientIp: addr.hostname }, executionCtx);
  });

  const shutdown = async () => {
    obs.log.info("shutting down");
    // Open WebSockets would hold the server's shutdown forever.
    await realtime.close();
    await server.shutdown();
    await services.runner?.stop();
    await database.close();
    Deno.exit(0);
  };
  try {
    Deno.addSignalListener("SIGINT", shutdown);
    Deno.addSignalListener("SIGTERM", shutdown);
  } catch {
    // A platform that stops instances itself (Deno Deploy) may not hand signals to the program.
  }
}

if (import.meta.main) await main();
