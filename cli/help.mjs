// The help texts of `faregate`, generated from the command table so they cannot drift from it.
import { RESOURCES, RESOURCE_ALIASES } from "./commands.mjs";

/** @typedef {import("./commands.mjs").OptionSpec} OptionSpec */

export const DEFAULT_URL = "http://localhost:8787";

/**
 * Options every command takes. `short` and `type` go to util.parseArgs; the rest is for help.
 * @type {Readonly<Record<string, OptionSpec>>}
 */
export const GLOBAL_OPTIONS = Object.freeze({
  format: { type: "string", value: "json|table", help: "output format (default table); json prints the API's objects" },
  url: { type: "string", value: "URL", help: `the gateway's base URL (default $FAREGATE_URL, else ${DEFAULT_URL})` },
  help: { type: "boolean", short: "h", help: "show help for the command, resource or faregate itself" },
});

const ENVIRONMENT_HELP = [
  "Environment:",
  "  FAREGATE_URL          the gateway's base URL (--url overrides it)",
  "  FAREGATE_ADMIN_TOKEN  the gateway's LW_GATEWAY_ADMIN_TOKEN; read only from the environment, never",
  "                        from the command line, so it stays out of shell history and ps",
];

/**
 * Two aligned columns: `  left   right`.
 * @param {[left: string, right: string][]} rows
 * @returns {string[]}
 */
function twoColumns(rows) {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

/**
 * `--name NAME` or `--api-key-stdin`.
 * @param {string} name
 * @param {OptionSpec} spec
 * @returns {string}
 */
const optionSyntax = (name, spec) => (spec.type === "boolean" ? `--${name}` : `--${name} ${spec.value ?? "VALUE"}`);

/**
 * @param {Readonly<Record<string, OptionSpec>>} options
 * @returns {[syntax: string, help: string][]}
 */
function optionRows(options) {
  return Object.entries(options).map(([name, spec]) => [
    spec.short ? `-${spec.short}, ${optionSyntax(name, spec)}` : optionSyntax(name, spec),
    spec.required ? `${spec.help} (required)` : spec.help,
  ]);
}

/**
 * `faregate virtual-keys create --project ID --name NAME --environment live|test [--principal ID] ...`
 * @param {string} resourceName
 * @param {string} action
 * @returns {string}
 */
export function synopsis(resourceName, action) {
  const command = RESOURCES[resourceName].commands[action];
  const options = Object.entries(command.options ?? {});
  const parts = [
    `faregate ${resourceName} ${action}`,
    ...(command.args ?? []).map((a) => `<${a}>`),
    ...options.filter(([, spec]) => spec.required).map(([name, spec]) => optionSyntax(name, spec)),
    ...options.filter(([, spec]) => !spec.required).map(([name, spec]) => `[${optionSyntax(name, spec)}]`),
  ];
  return parts.join(" ");
}

/** @returns {string} */
export function topUsage() {
  const aliases = Object.entries(RESOURCE_ALIASES);
  return [
    "faregate: manage a Faregate gateway through its admin API (/admin/v1).",
    "",
    "Usage: faregate <resource> <action> [arguments] [options]",
    "",
    "Resources:",
    ...twoColumns(Object.entries(RESOURCES).map(([name, resource]) => [name, resource.summary])),
    "",
    "Global options:",
    ...twoColumns(optionRows(GLOBAL_OPTIONS)),
    "",
    ...ENVIRONMENT_HELP,
    "",
    "Exit codes: 0 success, 1 the API answered with an error or could not be reached, 2 bad usage.",
    `Aliases: ${aliases.map(([alias, name]) => `${alias} = ${name}`).join(", ")}.`,
    "Run `faregate <resource> --help` for its actions; docs/cli.md has examples.",
  ].join("\n");
}

/**
 * @param {string} resourceName
 * @returns {string}
 */
export function resourceUsage(resourceName) {
  const resource = RESOURCES[resourceName];
  const lines = [
    `faregate ${resourceName}: ${resource.summary}.`,
    "",
    `Usage: faregate ${resourceName} <action> ...`,
    "",
    "Actions:",
  ];
  for (const [action, command] of Object.entries(resource.commands)) {
    lines.push(`  ${synopsis(resourceName, action)}`, `      ${command.summary}`);
  }
  lines.push("", "Global options:", ...twoColumns(optionRows(GLOBAL_OPTIONS)));
  lines.push("", `Run \`faregate ${resourceName} <action> --help\` for the details of one action.`);
  return lines.join("\n");
}

/**
 * @param {string} resourceName
 * @param {string} action
 * @returns {string}
 */
export function commandUsage(resourceName, action) {
  const command = RESOURCES[resourceName].commands[action];
  const lines = [`Usage: ${synopsis(resourceName, action)}`, "", command.summary];
  if (command.options && Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...twoColumns(optionRows(command.options)));
  }
  if (command.notes) lines.push("", ...command.notes);
  lines.push("", "Global options:", ...twoColumns(optionRows(GLOBAL_OPTIONS)), "", ...ENVIRONMENT_HELP);
  return lines.join("\n");
}
