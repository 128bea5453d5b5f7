/** Bundles the Worker exactly as `wrangler deploy` would, into a temporary folder. */
export interface WorkerBundle {
  path: string;
  bytes: number;
  gzipBytes: number;
  compatibilityDate: string;
  /** The static assets folder the `[build]` step filled (wrangler.toml `[assets]`). */
  assetsDirectory: string;
}

const root = new URL("../../", import.meta.url).pathname;

export async function bundleWorker(): Promise<WorkerBundle> {
  const outdir = await Deno.makeTempDir({ prefix: "pytake-worker-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "npm:wrangler@4.164.0", "deploy", "--dry-run", "--outdir", outdir],
    cwd: root,
    env: { WRANGLER_SEND_METRICS: "false", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `wrangler bundle failed:\n${new TextDecoder().decode(out.stdout)}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const path = `${outdir}/worker.js`;
  const bytes = await Deno.readFile(path);
  const gzipped = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  const toml = await Deno.readTextFile(`${root}/wrangler.toml`);
  const compatibilityDate = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m)![1];
  const assets = toml.match(/^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/m)![1];
  return {
    path,
    bytes: bytes.length,
    gzipBytes: gzipped.byteLength,
    compatibilityDate,
    assetsDirectory: new URL(assets, `file://${root}/`).pathname,
  };
}
