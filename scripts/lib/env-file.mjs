// Reading and writing the KEY=VALUE files wrangler loads with `--env-file` (and `.dev.vars`).
// Wrangler parses them with dotenv and then expands `$NAME` references, so only values that survive
// both untouched are written; anything else must travel another way (see `isEnvFileSafe`).
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Whether `value` can be written as `NAME='value'` and read back by wrangler byte for byte.
 * @param {string} value
 * @returns {boolean}
 */
export const isEnvFileSafe = (value) => /^[^'\r\n$\\]*$/.test(value);

/**
 * Parses the subset of dotenv syntax this project writes and documents: `NAME=value`, optionally quoted, `#` comments.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseEnvFile(text) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quoted = /^(['"`])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, "").trim();
    out[m[1]] = value;
  }
  return out;
}

/**
 * `NAME='value'` lines; throws on a name or value that would not read back unchanged.
 * @param {Record<string, string>} vars
 * @returns {string}
 */
export function formatEnvFile(vars) {
  return Object.entries(vars)
    .map(([name, value]) => {
      if (!NAME.test(name)) throw new Error(`not a valid variable name: ${JSON.stringify(name)}`);
      if (!isEnvFileSafe(value))
        throw new Error(`the value of ${name} cannot be written to an env file (quote, $, backslash or newline)`);
      return `${name}='${value}'\n`;
    })
    .join("");
}

/**
 * Writes `vars` to a fresh private file (mode 0600, in its own temporary directory) and returns its
 * path and a function that deletes it.
 * @param {Record<string, string>} vars
 * @returns {Promise<{ file: string, remove(): Promise<void> }>}
 */
export async function writePrivateEnvFile(vars) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "faregate-vars-"));
  const file = path.join(dir, "vars.env");
  await writeFile(file, formatEnvFile(vars), { mode: 0o600 });
  await chmod(file, 0o600);
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
