// How `faregate` shows an admin API answer: tables with fixed columns per resource, a field/value
// view of one object, or the API's JSON as-is (`--format json`).

/**
 * @typedef {import("./commands.mjs").Column} Column
 * @typedef {import("./commands.mjs").Resource} Resource
 * @typedef {import("./commands.mjs").OutputKind} OutputKind
 * @typedef {{ stdout: string, stderr: string }} Rendered
 */

export const STORE_SECRET_NOTE =
  "Store this secret now: it is shown only this once, and the gateway keeps only a hash of it.";

/**
 * Control characters (C0, DEL, C1) escaped, so a name cannot move the cursor or recolour the terminal.
 * @param {string} text
 * @returns {string}
 */
export function printable(text) {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** @param {unknown} v */
const isScalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

/**
 * A value as one line: `-` for null, lists of scalars joined with commas, anything else as compact JSON.
 * @param {unknown} value
 * @returns {string}
 */
export function cellText(value) {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return printable(value);
  if (Array.isArray(value) && value.every(isScalar))
    return value.length === 0 ? "-" : printable(value.map(String).join(","));
  if (typeof value === "object") return printable(JSON.stringify(value));
  return String(value);
}

/**
 * Rows under upper-case headers, each column as wide as its widest cell.
 * @param {Column[]} columns
 * @param {Record<string, unknown>[]} rows
 * @returns {string}
 */
export function formatTable(columns, rows) {
  const cells = [
    columns.map((c) => c.header.toUpperCase()),
    ...rows.map((row) => columns.map((c) => cellText(c.value(row)))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const lines = cells.map((line) =>
    line
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
  if (rows.length === 0) lines.push("(none)");
  return lines.join("\n");
}

/**
 * A record value: objects pretty-printed over several lines, everything else as a table cell.
 * @param {unknown} value
 * @returns {string[]}
 */
function recordValueLines(value) {
  if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.every(isScalar))) {
    return Object.keys(value).length === 0
      ? [JSON.stringify(value)]
      : JSON.stringify(value, null, 2).split("\n").map(printable);
  }
  if (Array.isArray(value)) return [value.length === 0 ? "[]" : printable(JSON.stringify(value))];
  return [cellText(value)];
}

/**
 * One object as `field  value` lines, in the API's field order; multi-line values stay aligned.
 * @param {Record<string, unknown>} object
 * @param {string[]} [omit] the fields to leave out
 * @returns {string}
 */
export function formatRecord(object, omit = []) {
  const entries = Object.entries(object).filter(([name]) => !omit.includes(name));
  const width = Math.max(0, ...entries.map(([name]) => name.length));
  const lines = [];
  for (const [name, value] of entries) {
    const [first, ...rest] = recordValueLines(value);
    lines.push(`${printable(name).padEnd(width)}  ${first}`.trimEnd());
    for (const line of rest) lines.push(`${" ".repeat(width)}  ${line}`);
  }
  return lines.join("\n");
}

/** @param {unknown} value */
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * The value as an object, or a TypeError naming what was expected.
 * @param {unknown} value
 * @param {string} what
 * @returns {Record<string, unknown>}
 */
function asObject(value, what) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`expected ${what} from the admin API, got ${value === null ? "null" : typeof value}`);
  }
  // A non-null, non-array object: every property it has is some unknown value.
  return /** @type {Record<string, unknown>} */ (value);
}

/**
 * The answer of a create or rotate: the key, then its secret once, then the reminder to store it.
 * @param {unknown} result
 * @param {"json" | "table"} format
 * @returns {Rendered}
 */
function renderWithSecret(result, format) {
  const object = asObject(result, "an object with a secret");
  if (typeof object.secret !== "string") throw new TypeError("expected a secret in the admin API's answer");
  if (format === "json") return { stdout: json(object), stderr: `${STORE_SECRET_NOTE}\n` };
  const details = formatRecord(object, ["secret"]);
  return { stdout: `${details}\n\nsecret  ${printable(object.secret)}\n${STORE_SECRET_NOTE}\n`, stderr: "" };
}

/**
 * What to print for an admin API answer.
 * @param {{ resource: Resource, output: OutputKind, format: "json" | "table", target?: string }} how
 *   `target` is the id or name the command was given (for `deleted`)
 * @param {unknown} result the parsed response body (null for 204)
 * @returns {Rendered}
 */
export function renderResult({ resource, output, format, target }, result) {
  switch (output) {
    case "list": {
      const data = result !== null && typeof result === "object" && "data" in result ? result.data : undefined;
      if (!Array.isArray(data)) throw new TypeError("expected {data: [...]} from the admin API");
      if (format === "json") return { stdout: json(data), stderr: "" };
      return { stdout: `${formatTable(resource.columns, data)}\n`, stderr: "" };
    }
    case "record": {
      const object = asObject(result, `a ${resource.noun}`);
      return { stdout: format === "json" ? json(object) : `${formatRecord(object)}\n`, stderr: "" };
    }
    case "with-secret":
      return renderWithSecret(result, format);
    case "deleted":
      if (format === "json") return { stdout: json({ id: target, deleted: true }), stderr: "" };
      return { stdout: `Deleted ${resource.noun} ${printable(String(target))}.\n`, stderr: "" };
    default:
      throw new TypeError(`unknown output kind ${String(output)}`);
  }
}
