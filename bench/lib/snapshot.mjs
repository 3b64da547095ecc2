/**
 * A private copy of the Workers' sources for one benchmark run. `wrangler dev` reloads a Worker when
 * a file it was built from changes, and a reload mid-run fails the requests in flight; benchmarking a
 * copy taken at start means the run measures exactly the code that was there when it began, however
 * the working tree changes meanwhile. Bare imports still resolve to the repository's node_modules,
 * because the copy lives inside the repository (bench/.tmp/).
 */
import { cp } from "node:fs/promises";
import path from "node:path";

/** What the three Workers are built from (wrangler configs and every directory their code imports). */
const SOURCES = [
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
  "src",
  "durable-objects",
  "migrations",
  "test/fake-provider",
  "bench/passthrough",
];

/**
 * Copies the sources into `dir`; returns the copied wrangler configs.
 * @returns {Promise<{ gateway: string, fakeProvider: string, passthrough: string }>}
 */
export async function snapshotSources(root, dir) {
  for (const entry of SOURCES) {
    await cp(path.join(root, entry), path.join(dir, entry), {
      recursive: true,
      filter: (src) => path.basename(src) !== ".wrangler" && path.basename(src) !== "node_modules",
    });
  }
  return {
    gateway: path.join(dir, "wrangler.toml"),
    fakeProvider: path.join(dir, "test/fake-provider/wrangler.toml"),
    passthrough: path.join(dir, "bench/passthrough/wrangler.toml"),
  };
}
