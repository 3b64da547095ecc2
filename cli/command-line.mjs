// Turns `faregate`'s argv and environment into one command to run, or help to print, or a UsageError.
import { parseArgs } from "node:util";
import { RESOURCES, RESOURCE_ALIASES } from "./commands.mjs";
import { UsageError } from "./errors.mjs";
import { commandUsage, DEFAULT_URL, GLOBAL_OPTIONS, resourceUsage, topUsage } from "./help.mjs";

/**
 * @typedef {import("./commands.mjs").Command} Command
 * @typedef {import("./commands.mjs").OptionSpec} OptionSpec
 * @typedef {import("./commands.mjs").OptionValues} OptionValues
 * @typedef {{ kind: "help", text: string }} HelpRequest
 * @typedef {{ kind: "run", resourceName: string, action: string, command: Command, args: Record<string, string>, values: OptionValues, format: "json" | "table", baseUrl: string, adminToken: string }} Invocation
 */

export const FORMATS = Object.freeze(["table", "json"]);

/**
 * Flags people reach for that would put a secret on the command line, and where the secret goes instead.
 * @type {Readonly<Record<string, string>>}
 */
const SECRET_FLAGS = Object.freeze({
  "--admin-token": "the admin token is read only from FAREGATE_ADMIN_TOKEN, never from the command line",
  "--token": "the admin token is read only from FAREGATE_ADMIN_TOKEN, never from the command line",
  "--api-key":
    "a provider key is never taken from the command line: pipe it in with --api-key-stdin, or name a Worker secret with --api-key-secret",
});

/**
 * The util.parseArgs config for option specs (which also carry help text).
 * @param {Record<string, OptionSpec>} specs
 * @returns {Record<string, { type: "string" | "boolean", short?: string }>}
 */
function parseArgsConfig(specs) {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
}

/**
 * Every option any command knows, so a first lenient pass can tell option values from command words.
 * @type {Record<string, OptionSpec>}
 */
const ALL_OPTIONS = Object.assign(
  {},
  ...Object.values(RESOURCES).flatMap((r) => Object.values(r.commands).map((c) => c.options ?? {})),
  GLOBAL_OPTIONS,
);

/** @param {string[]} argv */
function refuseSecretFlags(argv) {
  for (const arg of argv) {
    if (arg === "--") return;
    const flag = arg.split("=", 1)[0];
    if (Object.hasOwn(SECRET_FLAGS, flag)) throw new UsageError(`${flag} is not an option: ${SECRET_FLAGS[flag]}`);
  }
}

/**
 * The gateway's base URL (origin plus any path prefix, without a trailing slash or `/admin/v1`).
 * @param {string} raw
 * @param {string} source where the value came from, for the error message
 */
export function resolveBaseUrl(raw, source) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} is not an absolute URL: "${raw}" (e.g. https://faregate.example.workers.dev)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} must be an http:// or https:// URL, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${source} must not carry credentials; the admin token goes in FAREGATE_ADMIN_TOKEN`);
  }
  const prefix = url.pathname.replace(/\/+$/, "").replace(/\/admin\/v1$/, "");
  return `${url.origin}${prefix}`;
}

/**
 * @param {Record<string, string | undefined>} env
 * @returns {string}
 */
function adminTokenFrom(env) {
  const token = env.FAREGATE_ADMIN_TOKEN;
  if (token === undefined || token === "") {
    throw new UsageError(
      "FAREGATE_ADMIN_TOKEN is not set: export the gateway's LW_GATEWAY_ADMIN_TOKEN as FAREGATE_ADMIN_TOKEN",
    );
  }
  if (token !== token.trim()) {
    throw new UsageError("FAREGATE_ADMIN_TOKEN has leading or trailing whitespace; set it to the token alone");
  }
  return token;
}

/**
 * The resource, and the name it is known by in messages, for a word the user typed (`vk` included).
 * @param {string} word
 * @returns {string | null}
 */
function findResource(word) {
  const name = Object.hasOwn(RESOURCE_ALIASES, word) ? RESOURCE_ALIASES[word] : word;
  return Object.hasOwn(RESOURCES, name) ? name : null;
}

/**
 * @param {string[]} argv the arguments after the program name
 * @param {Record<string, string | undefined>} env
 * @returns {HelpRequest | Invocation}
 */
export function parseCommandLine(argv, env) {
  refuseSecretFlags(argv);
  const lenient = parseArgs({
    args: argv,
    options: parseArgsConfig(ALL_OPTIONS),
    strict: false,
    allowPositionals: true,
  });
  const wantsHelp = lenient.values.help === true;
  const [resourceWord, action] = lenient.positionals;

  if (resourceWord === undefined || resourceWord === "help") {
    if (wantsHelp || resourceWord === "help") return { kind: "help", text: topUsage() };
    throw new UsageError("no command given", topUsage());
  }
  const resourceName = findResource(resourceWord);
  if (resourceName === null) {
    throw new UsageError(
      `unknown resource "${resourceWord}"; one of: ${Object.keys(RESOURCES).join(", ")}`,
      topUsage(),
    );
  }
  const resource = RESOURCES[resourceName];
  if (action === undefined) {
    if (wantsHelp) return { kind: "help", text: resourceUsage(resourceName) };
    throw new UsageError(`no action given for ${resourceName}`, resourceUsage(resourceName));
  }
  if (!Object.hasOwn(resource.commands, action)) {
    throw new UsageError(
      `unknown action "${action}" for ${resourceName}; one of: ${Object.keys(resource.commands).join(", ")}`,
      resourceUsage(resourceName),
    );
  }
  const usage = commandUsage(resourceName, action);
  if (wantsHelp) return { kind: "help", text: usage };

  const command = resource.commands[action];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseArgsConfig({ ...GLOBAL_OPTIONS, ...command.options }),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }

  const argNames = command.args ?? [];
  const given = parsed.positionals.slice(2);
  if (given.length < argNames.length) throw new UsageError(`missing <${argNames[given.length]}>`, usage);
  if (given.length > argNames.length) throw new UsageError(`unexpected argument "${given[argNames.length]}"`, usage);
  const args = Object.fromEntries(argNames.map((name, i) => [name, given[i]]));

  /** @type {OptionValues} */
  const values = { ...parsed.values };
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    if (spec.required && values[name] === undefined) throw new UsageError(`--${name} is required`, usage);
  }
  const format = values.format ?? "table";
  if (!FORMATS.includes(String(format))) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`, usage);
  }
  const baseUrl =
    values.url !== undefined
      ? resolveBaseUrl(String(values.url), "--url")
      : resolveBaseUrl(env.FAREGATE_URL || DEFAULT_URL, env.FAREGATE_URL ? "FAREGATE_URL" : "the default URL");

  return {
    kind: "run",
    resourceName,
    action,
    command,
    args,
    values,
    format: /** @type {"json" | "table"} */ (format),
    baseUrl,
    adminToken: adminTokenFrom(env),
  };
}
