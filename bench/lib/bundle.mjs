/**
 * The production bundle of a Worker: exactly what `wrangler deploy` would upload (same esbuild
 * settings, `minify` and all), written to a directory with `wrangler deploy --dry-run --outdir`.
 * Bundling once at the start also means that editing sources during a run changes nothing.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { runWrangler } from "../../scripts/lib/wrangler.mjs";

/**
 * Bundles the Worker of wrangler config `config` into `outDir`; resolves with the entry module's path.
 * @param {{ config: string, outDir: string }} options
 */
export async function bundleWorker({ config, outDir }) {
  await runWrangler(["deploy", "--dry-run", "--outdir", outDir, "--config", config]);
  const modules = (await readdir(outDir)).filter((f) => f.endsWith(".js") || f.endsWith(".mjs"));
  if (modules.length !== 1)
    throw new Error(`bench: expected one module in ${outDir} after bundling ${config}, found: ${modules.join(", ")}`);
  return path.join(outDir, modules[0]);
}
