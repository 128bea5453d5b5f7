import type { AssetName, StaticAssets } from "./static-assets.ts";

/** Where each asset is inside its npm package (resolved from the package's own entry point). */
const files: Record<AssetName, { pkg: string; relative: string }> = {
  // dist/index.js is the package's entry; the standalone bundle sits beside it.
  "api-reference/standalone.js": { pkg: "@scalar/api-reference", relative: "./browser/standalone.js" },
};

/**
 * Deno: the assets as the installed npm packages hold them (node_modules or Deno's cache), read
 * once and kept in memory. The package is pinned in deno.json, so the version in the URL is the
 * version of the bytes.
 */
export class PackageAssets implements StaticAssets {
  readonly #cache = new Map<AssetName, Promise<Uint8Array<ArrayBuffer> | undefined>>();

  get(name: AssetName): Promise<Uint8Array<ArrayBuffer> | undefined> {
    let file = this.#cache.get(name);
    if (!file) {
      const { pkg, relative } = files[name];
      file = Deno.readFile(new URL(relative, import.meta.resolve(pkg))).catch(() => undefined);
      this.#cache.set(name, file);
    }
    return file;
  }
}
