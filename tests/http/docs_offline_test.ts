import { strict as assert } from "node:assert";
import { SCALAR_SCRIPT_PATH, SCALAR_VERSION } from "../../src/http/docs-page.ts";
import { PackageAssets } from "../../src/platform/assets/package-assets.ts";
import { body, createTestContext } from "../support/harness.ts";
import { CHROMIUM, chromiumAvailable, openPage } from "../support/headless-chromium.ts";
import type { OpenApiDoc } from "../support/openapi-sample.ts";

/**
 * `/docs` works with no internet: the reference UI comes from our own origin, at a versioned path
 * cached for a year, and a real browser with every other host unreachable lists the operations.
 */

Deno.test("docs: the reference UI's script is ours, versioned and cached for good", async () => {
  const imports = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).imports;
  assert.equal(imports["@scalar/api-reference"], `npm:@scalar/api-reference@${SCALAR_VERSION}`);
  const ctx = await createTestContext();
  try {
    const page = await ctx.request("/docs");
    const html = await page.text();
    assert.ok(html.includes(`<script src="${SCALAR_SCRIPT_PATH}">`));
    assert.doesNotMatch(html, /https?:\/\//, "the page names no other origin");
    assert.doesNotMatch(page.headers.get("content-security-policy")!, /https?:\/\/|cdn/);

    const plain = await ctx.request(SCALAR_SCRIPT_PATH);
    const bytes = await plain.bytes();
    const original = (await new PackageAssets().get("api-reference/standalone.js"))!;
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(plain.headers.get("content-type")!, /^text\/javascript/);
    assert.deepEqual(bytes, original);

    const zipped = await ctx.request(SCALAR_SCRIPT_PATH, { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    const unzipped = await new Response(zipped.body!.pipeThrough(new DecompressionStream("gzip"))).bytes();
    assert.deepEqual(unzipped, original);

    const stale = await ctx.request("/docs/assets/api-reference@0.0.1/standalone.js");
    assert.equal(stale.status, 404);
    await stale.body?.cancel();
  } finally {
    await ctx.close();
  }
});

const haveChromium = chromiumAvailable();
if (!haveChromium) {
  // deno-lint-ignore no-console
  console.warn(
    `docs browser test ignored: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); .ci/run installs it`,
  );
}

Deno.test({
  name: "docs: a headless browser with the network closed lists every operation",
  ignore: !haveChromium,
  async fn() {
    const ctx = await createTestContext();
    const server = await ctx.listen();
    try {
      const doc = await body<OpenApiDoc>(await ctx.request("/openapi.json"));
      const summaries = Object.values(doc.paths).flatMap((ops) =>
        Object.values(ops).map((op) => (op as unknown as { summary: string }).summary)
      );
      assert.ok(summaries.length > 100);
      const page = await openPage(`${server.url}/docs`, { allowOrigin: server.url });
      try {
        let missing = summaries;
        for (let waited = 0; waited < 60_000 && missing.length > 0; waited += 500) {
          await new Promise((r) => setTimeout(r, 500));
          const text = await page.evaluate<string>("document.body?.innerText ?? ''");
          missing = summaries.filter((s) => !text.includes(s));
        }
        assert.deepEqual(missing, [], `not listed; page errors: ${page.errors.join(" | ")}`);
        assert.equal(await page.evaluate<string>("document.title"), "PyTake API reference");
        assert.deepEqual(page.blocked, [], "the page tried to reach other hosts");
      } finally {
        await page.close();
      }
    } finally {
      await server.close();
      await ctx.close();
    }
  },
});
