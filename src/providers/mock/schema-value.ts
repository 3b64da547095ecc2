/**
 * A value that fits a JSON Schema, built the same way every time: how the mock provider fills a
 * tool call's arguments (from the tool's `parameters`) and a structured answer (from
 * `response_format.json_schema`). It prefers what the schema offers (`const`, then the first `enum`
 * value, `default`, the first of `examples`), follows local `$ref`s, takes the first branch of
 * `anyOf`/`oneOf` and merges `allOf`; objects get every property they declare, arrays one item (or
 * `minItems`), strings "mock" (or a sample of their `format`, padded or cut to their length bounds),
 * numbers the smallest value their bounds allow, at least 1.
 */

type Schema = Record<string, unknown>;

/** How deep nested objects, arrays and `$ref`s are followed; deeper parts become null. */
const MAX_DEPTH = 12;

const FORMAT_SAMPLES: Record<string, string> = {
  "date-time": "2025-01-01T00:00:00Z",
  date: "2025-01-01",
  time: "00:00:00Z",
  email: "mock@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
};

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The value for a whole schema (`root` is where its `$ref`s point into). */
export function exampleValue(schema: unknown): unknown {
  return valueFor(schema, schema, 0);
}

/** `#/…` JSON pointers into the root schema; anything else (another document) resolves to nothing. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const parts = ref
    .slice(1)
    .split("/")
    .filter((p) => p !== "")
    .map((p) => decodeURIComponent(p).replaceAll("~1", "/").replaceAll("~0", "~"));
  let at: unknown = root;
  for (const p of parts) {
    if (!isSchema(at) && !Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return at;
}

function valueFor(schema: unknown, root: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || !isSchema(schema)) return depth > MAX_DEPTH ? null : "mock";
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as unknown;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0] as unknown;
  if (typeof schema.$ref === "string") return valueFor(resolveRef(root, schema.$ref), root, depth + 1);
  const branches: unknown[] | null = Array.isArray(schema.anyOf)
    ? (schema.anyOf as unknown[])
    : Array.isArray(schema.oneOf)
      ? (schema.oneOf as unknown[])
      : null;
  if (branches && branches.length > 0) {
    const notNull = branches.find((b) => !(isSchema(b) && b.type === "null"));
    return valueFor(notNull ?? branches[0], root, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return valueFor(mergeAllOf(schema), root, depth + 1);
  switch (typeOf(schema)) {
    case "object":
      return objectValue(schema, root, depth);
    case "array":
      return arrayValue(schema, root, depth);
    case "string":
      return stringValue(schema);
    case "integer":
      return numberValue(schema, true);
    case "number":
      return numberValue(schema, false);
    case "boolean":
      return true;
    case "null":
      return null;
    case null:
    default:
      return "mock";
  }
}

/** The schema's type: its `type` (the first that is not "null" of a list), else what its keywords imply. */
function typeOf(schema: Schema): string | null {
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const first = t.find((x) => typeof x === "string" && x !== "null") as string | undefined;
    return first ?? (t.includes("null") ? "null" : null);
  }
  if (isSchema(schema.properties)) return "object";
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return "array";
  return null;
}

/** `allOf` as one schema: the branches' properties and keywords together (later branches win). */
function mergeAllOf(schema: Schema): Schema {
  const merged: Schema = { ...schema, allOf: undefined };
  const properties: Schema = isSchema(schema.properties) ? { ...schema.properties } : {};
  for (const branch of schema.allOf as unknown[]) {
    if (!isSchema(branch)) continue;
    Object.assign(merged, branch);
    if (isSchema(branch.properties)) Object.assign(properties, branch.properties);
  }
  delete merged.allOf;
  if (Object.keys(properties).length > 0) merged.properties = properties;
  return merged;
}

function objectValue(schema: Schema, root: unknown, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = isSchema(schema.properties) ? schema.properties : {};
  for (const [name, property] of Object.entries(properties)) out[name] = valueFor(property, root, depth + 1);
  return out;
}

function arrayValue(schema: Schema, root: unknown, depth: number): unknown[] {
  const max = num(schema.maxItems);
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
  const count = Math.min(Math.max(num(schema.minItems) ?? 0, prefix.length, 1), max ?? Infinity);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : schema.items;
    out.push(itemSchema === undefined ? "mock" : valueFor(itemSchema, root, depth + 1));
  }
  return out;
}

function stringValue(schema: Schema): string {
  let s = (typeof schema.format === "string" ? FORMAT_SAMPLES[schema.format] : undefined) ?? "mock";
  const min = num(schema.minLength);
  const max = num(schema.maxLength);
  if (min !== null && s.length < min) s = s.padEnd(min, "k");
  if (max !== null && s.length > max) s = s.slice(0, Math.max(0, max));
  return s;
}

function numberValue(schema: Schema, integer: boolean): number {
  const minimum = num(schema.minimum);
  const exclusiveMin = num(schema.exclusiveMinimum);
  const maximum = num(schema.maximum);
  const exclusiveMax = num(schema.exclusiveMaximum);
  const step = integer ? 1 : 0.5;
  let v = 1;
  if (minimum !== null) v = minimum;
  if (exclusiveMin !== null) v = Math.max(minimum ?? -Infinity, exclusiveMin + step);
  if (minimum === null && exclusiveMin === null) {
    if (maximum !== null && maximum < v) v = maximum;
    if (exclusiveMax !== null && exclusiveMax <= v) v = exclusiveMax - step;
  }
  if (integer) v = Math.ceil(v);
  const multipleOf = num(schema.multipleOf);
  if (multipleOf !== null && multipleOf > 0) v = Math.ceil(v / multipleOf) * multipleOf;
  return v;
}
