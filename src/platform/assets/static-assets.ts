/**
 * Files the API serves that are not its own code: the reference UI's bundle behind `/docs`, a few
 * megabytes of JavaScript from an npm package. Each runtime keeps them where it keeps files: the
 * Deno entry reads them from the installed package, the Worker from its static assets (too big
 * for the Worker bundle). Nothing is ever fetched from a CDN.
 */
export interface StaticAssets {
  /** The asset's bytes, or `undefined` when this deployment lacks it. */
  get(name: AssetName): Promise<Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | undefined>;
}

/** The assets there are, by name; the Worker's copy lives at the same path in its assets folder. */
export const ASSETS = {
  /** Scalar's standalone API reference (`@scalar/api-reference`, dist/browser/standalone.js). */
  "api-reference/standalone.js": { type: "text/javascript; charset=utf-8" },
} as const;

export type AssetName = keyof typeof ASSETS;
