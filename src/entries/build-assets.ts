/**
 * `deno task assets`: copies the files served beside the API (src/platform/assets) out of their
 * npm packages into `.build/assets/`, the Workers static assets folder that `wrangler deploy`
 * uploads (wrangler.toml runs this as its `[build]` command). Deno reads the packages directly.
 */
import { PackageAssets } from "../platform/assets/package-assets.ts";
import { type AssetName, ASSETS } from "../platform/assets/static-assets.ts";

const out = new URL("../../.build/assets/", import.meta.url);
const packages = new PackageAssets();
for (const name of Object.keys(ASSETS) as AssetName[]) {
  const bytes = await packages.get(name);
  if (!bytes) throw new Error(`${name}: not found in its npm package; run deno install`);
  const target = new URL(name, out);
  await Deno.mkdir(new URL(".", target), { recursive: true });
  await Deno.writeFile(target, bytes);
}
