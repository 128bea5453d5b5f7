import type { OpenAPIHono } from "@hono/zod-openapi";
import { ASSETS } from "../platform/assets/static-assets.ts";
import type { AppEnv } from "./app-env.ts";

/**
 * The interactive reference at `/docs`: Scalar's standalone bundle, served from our own origin at
 * a path that names its version, pointed at our `/openapi.json`. It works with no internet: the
 * page loads nothing from anywhere else (no CDN, no web fonts).
 */

/** Keep equal to the `@scalar/api-reference` version pinned in deno.json (a test checks it). */
export const SCALAR_VERSION = "1.76.4";
export const SCALAR_SCRIPT_PATH = `/docs/assets/api-reference@${SCALAR_VERSION}/standalone.js`;

export function docsPage(title: string, specUrl: string): string {
  const config = JSON.stringify({
    url: specUrl,
    theme: "default",
    hideDownloadButton: false,
    // The defaults would load fonts from Scalar's servers; the system fonts need no network.
    withDefaultFonts: false,
    // Every operation listed in the sidebar from the start: a reader finds one with the browser's search.
    defaultOpenAllTags: true,
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body>
<script id="api-reference" data-configuration='${config.replace(/'/g, "&#39;")}'></script>
<script src="${SCALAR_SCRIPT_PATH}"></script>
<noscript>This page needs JavaScript. The raw description is at <a href="${specUrl}">${specUrl}</a>.</noscript>
</body>
</html>`;
}

/** The gzip of an asset, made once per asset (5 MB of JavaScript leave as about 1.3 MB). */
const gzipped = new WeakMap<Uint8Array, Promise<Uint8Array<ArrayBuffer>>>();
function gzipOnce(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  let z = gzipped.get(bytes);
  if (!z) {
    z = new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).bytes();
    gzipped.set(bytes, z);
  }
  return z;
}

/**
 * `/docs` and its script. The script's URL changes with its version, so it is cached for a year
 * (`immutable`); the page itself is not cached, so a new version is picked up at once. Deno's
 * server does not compress, so the script leaves gzipped here; on Workers the assets arrive as
 * a stream and Cloudflare compresses them.
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, title: string): void {
  app.get("/docs", (c) => c.html(docsPage(title, "/openapi.json")));
  app.get(SCALAR_SCRIPT_PATH, async (c) => {
    const asset = await c.get("services").assets?.get("api-reference/standalone.js");
    if (!asset) return c.notFound();
    const headers: Record<string, string> = {
      "Content-Type": ASSETS["api-reference/standalone.js"].type,
      "Cache-Control": "public, max-age=31536000, immutable",
      Vary: "Accept-Encoding",
    };
    if (asset instanceof Uint8Array && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      return c.body(await gzipOnce(asset), 200, { ...headers, "Content-Encoding": "gzip" });
    }
    return c.body(asset, 200, headers);
  });
}
