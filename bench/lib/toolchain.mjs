/**
 * Packages the benchmark borrows from wrangler's own dependencies (Miniflare, esbuild), resolved from
 * wrangler's package so the benchmark always runs the exact versions `wrangler dev` and
 * `wrangler deploy` use, whether or not npm hoisted them to the top of node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const requireHere = createRequire(import.meta.url);
const requireFromWrangler = createRequire(requireHere.resolve("wrangler/package.json"));

/** Imports `name` as wrangler would resolve it. */
export function importFromWrangler(name) {
  return import(pathToFileURL(requireFromWrangler.resolve(name)).href);
}

/** The version of `name` that wrangler resolves (read from the nearest package.json above its entry), or null. */
export function versionFromWrangler(name) {
  let dir;
  try {
    dir = path.dirname(requireFromWrangler.resolve(name));
  } catch {
    return null;
  }
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === name) return pkg.version ?? null;
    } catch {
      // no package.json at this level
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
