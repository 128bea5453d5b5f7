import type { AssetName, StaticAssets } from "./static-assets.ts";

/** The `ASSETS` binding of Workers static assets (`[assets]` in wrangler.toml). */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/**
 * Cloudflare Workers: the assets from the Worker's static assets, which `deno task assets` copies
 * out of the npm packages before `wrangler deploy` uploads them (wrangler.toml `[build]`). Only the
 * Worker answers requests (`run_worker_first`), so these bytes leave through our own route.
 */
export class WorkersAssets implements StaticAssets {
  constructor(private readonly binding: AssetsBinding) {}

  async get(name: AssetName): Promise<ReadableStream<Uint8Array> | undefined> {
    const res = await this.binding.fetch(new Request(`https://assets.invalid/${name}`));
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return undefined;
    }
    return res.body;
  }
}
