// Where things are in the repository, resolved from this file so callers may run from any directory.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN_DIR = path.join(ROOT, "node_modules", ".bin");
export const WRANGLER_BIN = path.join(BIN_DIR, "wrangler");
/** The gateway's own wrangler config (the D1 binding `DB` and its migrations live here). */
export const GATEWAY_CONFIG = path.join(ROOT, "wrangler.toml");
/** The fake OpenAI-shaped provider used by the end-to-end tests and the benchmark. */
export const FAKE_PROVIDER_CONFIG = path.join(ROOT, "test", "fake-provider", "wrangler.toml");
/** `wrangler dev`'s default local state directory for the gateway. */
export const DEFAULT_PERSIST_DIR = path.join(ROOT, ".wrangler", "state");

/**
 * A path given relative to the repository root (or absolute) as an absolute path.
 * @param {string} p
 * @returns {string}
 */
export const fromRoot = (p) => path.resolve(ROOT, p);
