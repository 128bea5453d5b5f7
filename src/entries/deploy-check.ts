/**
 * `deno task deploy:check [--target workers|deno-deploy] [--env-file FILE]`: checks a production
 * environment before a deploy, deploying nothing and calling nothing. The variables come from
 * the environment, with FILE's on top (the values you are about to `wrangler secret put` or
 * paste into Deno Deploy). Exit 0 when it is complete, 1 with the list of what to fix.
 */
import { checkProductionEnv, parseEnvFile } from "../deploy/production-check.ts";
import type { RawEnv, ServerlessPlatform } from "../config.ts";

function usage(message: string): never {
  // deno-lint-ignore no-console
  console.error(`${message}\nusage: deno task deploy:check [--target workers|deno-deploy] [--env-file FILE]`);
  Deno.exit(2);
}

async function main(args: string[]): Promise<number> {
  let target: ServerlessPlatform = "workers";
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const value = () => inline ?? args[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--target") {
      const t = value();
      if (t !== "workers" && t !== "deno-deploy") usage(`unknown target ${t}`);
      target = t;
    } else if (flag === "--env-file") file = value();
    else usage(`unknown argument ${args[i]}`);
  }
  let raw: RawEnv = Deno.env.toObject();
  if (file) {
    try {
      raw = { ...raw, ...parseEnvFile(await Deno.readTextFile(file)) };
    } catch (err) {
      usage(`cannot read ${file}: ${err instanceof Error ? err.message : err}`);
    }
  }
  const { problems, warnings } = checkProductionEnv(raw, target);
  const where = target === "workers" ? "Cloudflare Workers" : "Deno Deploy";
  const out: string[] = [];
  for (const p of problems) out.push(`  ✗ ${p}`);
  for (const w of warnings) out.push(`  ! ${w}`);
  out.push(
    problems.length === 0
      ? `production environment for ${where}: complete${
        warnings.length ? ` (${warnings.length} warnings)` : ""
      }`
      : `production environment for ${where}: ${problems.length} to fix before deploying`,
  );
  // deno-lint-ignore no-console
  console.log(out.join("\n"));
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
