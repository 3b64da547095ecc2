// The command table of `faregate`: for every resource and action, its arguments and options, the
// admin API request it sends (docs/cli.md; docs/api.md, Admin API) and how the answer is shown.
import { UsageError } from "./errors.mjs";

/**
 * @typedef {{ type: "string" | "boolean", short?: string, value?: string, help: string, required?: boolean }} OptionSpec
 * @typedef {Record<string, string | boolean | undefined>} OptionValues
 * @typedef {{ method: "GET" | "POST" | "PATCH" | "DELETE", path: string, query?: Record<string, string | undefined>, body?: Record<string, unknown> }} ApiRequest
 * @typedef {{ values: OptionValues, args: Record<string, string>, readProviderKey: () => Promise<string> }} CommandInput
 * @typedef {"list" | "record" | "with-secret" | "deleted"} OutputKind
 * @typedef {{ summary: string, args?: string[], options?: Record<string, OptionSpec>, notes?: string[], request: (input: CommandInput) => ApiRequest | Promise<ApiRequest>, output: OutputKind }} Command
 * @typedef {{ header: string, value: (row: Record<string, unknown>) => unknown }} Column
 * @typedef {{ summary: string, noun: string, columns: Column[], commands: Record<string, Command> }} Resource
 */

/**
 * Other names a resource answers to.
 * @type {Readonly<Record<string, string>>}
 */
export const RESOURCE_ALIASES = Object.freeze({ vk: "virtual-keys", "gateway-budgets": "budgets" });

/** The word that clears a nullable field on update (`--expires-at none`). */
export const NONE = "none";

const enc = encodeURIComponent;

/**
 * @param {string} name
 * @returns {Column} a column showing one field of the row as-is.
 */
const field = (name) => ({ header: name, value: (row) => row[name] });

/** @type {OptionSpec} */
const LIMIT = { type: "string", value: "N", help: "at most N entries (1-1000; the API's default is 100)" };

/**
 * The value of a `type: "string"` option. util.parseArgs (strict) gives a string for every string
 * option that was given, so anything else means it was not.
 * @param {OptionValues} values
 * @param {string} name
 * @returns {string | undefined}
 */
function text(values, name) {
  const raw = values[name];
  return typeof raw === "string" ? raw : undefined;
}

/**
 * The value of an option that must be a JSON object, parsed.
 * @param {OptionValues} values
 * @param {string} name
 * @returns {Record<string, unknown> | undefined}
 */
function jsonObjectOption(values, name) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  let parsed;
  try {
    parsed = JSON.parse(String(raw));
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `--${name} must be a JSON object ({...}), got ${Array.isArray(parsed) ? "an array" : String(parsed)}`,
    );
  }
  return parsed;
}

/**
 * `a, b,c` as ["a", "b", "c"]; an empty string is the empty list.
 * @param {string | boolean} raw
 * @returns {string[]}
 */
function commaList(raw) {
  return String(raw)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * A string option where `none` means null (clear the field).
 * @param {string | boolean | undefined} raw
 * @returns {string | null | undefined}
 */
const orNull = (raw) => (raw === undefined ? undefined : raw === NONE ? null : String(raw));

/**
 * A whole number option, checked before anything is sent.
 * @param {OptionValues} values
 * @param {string} name
 * @returns {number | undefined}
 */
function wholeNumber(values, name) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(String(raw))) throw new UsageError(`--${name} must be a whole number of seconds, got "${raw}"`);
  return Number(raw);
}

/**
 * One of the listed words, checked before anything is sent.
 * @param {OptionValues} values
 * @param {string} name
 * @param {readonly string[]} allowed
 * @returns {string | undefined}
 */
function oneOf(values, name, allowed) {
  const raw = values[name];
  if (raw === undefined || (typeof raw === "string" && allowed.includes(raw))) return raw;
  throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
}

/**
 * The object with its undefined-valued entries left out, so only the fields the user gave are sent.
 * @param {Record<string, unknown>} entries
 * @returns {Record<string, unknown>}
 */
function given(entries) {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

/**
 * An update body, refusing to send an empty one.
 * @param {Record<string, unknown>} entries
 * @param {string[]} optionNames the options that fill it, for the error message
 * @returns {Record<string, unknown>}
 */
function updateBody(entries, optionNames) {
  const body = given(entries);
  if (Object.keys(body).length === 0) {
    throw new UsageError(`nothing to update: give at least one of ${optionNames.map((n) => `--${n}`).join(", ")}`);
  }
  return body;
}

// ── projects ──────────────────────────────────────────────────────────────────────────────────────

/** @type {Resource} */
const projects = {
  summary: "projects own virtual keys",
  noun: "project",
  columns: ["id", "name", "revision", "created_at", "updated_at"].map(field),
  commands: {
    list: {
      summary: "List projects, newest first.",
      options: { limit: LIMIT },
      request: ({ values }) => ({ method: "GET", path: "/projects", query: { limit: text(values, "limit") } }),
      output: "list",
    },
    get: {
      summary: "Show one project.",
      args: ["id"],
      request: ({ args }) => ({ method: "GET", path: `/projects/${enc(args.id)}` }),
      output: "record",
    },
    create: {
      summary: "Create a project.",
      options: { name: { type: "string", value: "NAME", help: "unique name, 1-100 characters", required: true } },
      request: ({ values }) => ({ method: "POST", path: "/projects", body: { name: values.name } }),
      output: "record",
    },
    update: {
      summary: "Rename a project.",
      args: ["id"],
      options: { name: { type: "string", value: "NAME", help: "the new name", required: true } },
      request: ({ args, values }) => ({
        method: "PATCH",
        path: `/projects/${enc(args.id)}`,
        body: { name: values.name },
      }),
      output: "record",
    },
    delete: {
      summary: "Delete a project. Refused (409) while it has keys that are not revoked.",
      args: ["id"],
      request: ({ args }) => ({ method: "DELETE", path: `/projects/${enc(args.id)}` }),
      output: "deleted",
    },
  },
};

// ── providers ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The binding types, in the gateway's order (its PROVIDERS table, src/providers/registry.ts; the CLI
 * runs on plain Node and cannot import it, so test/e2e/cli-vocabulary.test.ts pins the two together).
 */
export const PROVIDER_TYPES = Object.freeze([
  "openai",
  "azure",
  "anthropic",
  "gemini",
  "bedrock",
  "workers-ai",
  "groq",
  "mistral",
  "deepseek",
  "together",
  "fireworks",
  "openrouter",
  "xai",
  "openai-compatible",
  "mock",
]);

/** @satisfies {Record<string, OptionSpec>} */
const providerFields = {
  type: {
    type: "string",
    value: "TYPE",
    help: `${PROVIDER_TYPES.slice(0, -1).join(", ")} or ${PROVIDER_TYPES.at(-1)}`,
  },
  "base-url": {
    type: "string",
    value: "URL",
    help: "the API root as the provider's SDK takes it; required for openai-compatible and azure",
  },
  "api-key-secret": {
    type: "string",
    value: "NAME",
    help: "name of the Worker secret holding the provider key (wrangler secret put NAME)",
  },
  "api-key-stdin": {
    type: "boolean",
    help: "read the provider key from stdin and store it encrypted (prompts without echo on a terminal)",
  },
  models: { type: "string", value: "a,b", help: "comma-separated model ids this binding serves" },
  "prices-json": {
    type: "string",
    value: "JSON",
    help: 'price overrides, e.g. \'{"gpt-4o-mini":{"input_per_mtok":"0.15","output_per_mtok":"0.60"}}\'',
  },
  "settings-json": { type: "string", value: "JSON", help: "provider-specific settings object" },
};

/**
 * The provider fields common to create and update, from the options given; `none` clears a nullable one.
 * @param {OptionValues} values
 * @param {CommandInput["readProviderKey"]} readProviderKey
 * @returns {Promise<Record<string, unknown>>}
 */
async function providerBody(values, readProviderKey) {
  const secretName = orNull(values["api-key-secret"]);
  if (values["api-key-stdin"] && typeof secretName === "string") {
    throw new UsageError("give either --api-key-secret or --api-key-stdin, not both");
  }
  return given({
    type: values.type,
    base_url: orNull(values["base-url"]),
    api_key_secret: secretName,
    models: values.models === undefined ? undefined : commaList(values.models),
    prices: jsonObjectOption(values, "prices-json"),
    settings: jsonObjectOption(values, "settings-json"),
    api_key: values["api-key-stdin"] ? await readProviderKey() : undefined,
  });
}

/**
 * An update body. A binding holds one credential, so a new one replaces the other kind unless the
 * command says otherwise: a key from stdin clears the secret name, a secret name clears the stored key.
 * @param {OptionValues} values
 * @param {CommandInput["readProviderKey"]} readProviderKey
 * @returns {Promise<Record<string, unknown>>}
 */
async function providerUpdateBody(values, readProviderKey) {
  if (values["clear-api-key"] && values["api-key-stdin"]) {
    throw new UsageError("give either --clear-api-key or --api-key-stdin, not both");
  }
  const body = await providerBody(values, readProviderKey);
  if (values["clear-api-key"] || typeof body.api_key_secret === "string") body.api_key = null;
  if (typeof body.api_key === "string" && body.api_key_secret === undefined) body.api_key_secret = null;
  return body;
}

const providerNotes = [
  "The provider key never goes on the command line: name a Worker secret with --api-key-secret, or pipe",
  'the key in with --api-key-stdin (for example: printf %s "$OPENAI_API_KEY" | faregate providers create ...).',
];

/** @type {Resource} */
const providers = {
  summary: "provider bindings: where requests go, and with which key",
  noun: "provider",
  columns: [
    field("id"),
    field("name"),
    field("type"),
    field("base_url"),
    { header: "models", value: (row) => row.models },
    {
      header: "api_key",
      value: (row) => (row.api_key_secret ? `secret:${row.api_key_secret}` : row.has_api_key ? "stored" : null),
    },
    field("updated_at"),
  ],
  commands: {
    list: {
      summary: "List provider bindings, newest first.",
      options: { limit: LIMIT },
      request: ({ values }) => ({ method: "GET", path: "/providers", query: { limit: text(values, "limit") } }),
      output: "list",
    },
    get: {
      summary: "Show one provider binding, by id or name.",
      args: ["id|name"],
      request: ({ args }) => ({ method: "GET", path: `/providers/${enc(args["id|name"])}` }),
      output: "record",
    },
    create: {
      summary: "Create a provider binding.",
      options: {
        name: {
          type: "string",
          value: "NAME",
          help: "unique, lower case, no '/': it is how key configs and provider/model names refer to it",
          required: true,
        },
        ...providerFields,
        type: { ...providerFields.type, required: true },
      },
      notes: providerNotes,
      request: async ({ values, readProviderKey }) => ({
        method: "POST",
        path: "/providers",
        body: { name: values.name, ...(await providerBody(values, readProviderKey)) },
      }),
      output: "record",
    },
    update: {
      summary: "Change a provider binding; every field given replaces the stored one (a binding cannot be renamed).",
      args: ["id|name"],
      options: {
        ...providerFields,
        "base-url": { ...providerFields["base-url"], value: "URL|none" },
        "api-key-secret": {
          ...providerFields["api-key-secret"],
          value: "NAME|none",
          help: "name of the Worker secret holding the provider key (replaces a stored key), or none",
        },
        "api-key-stdin": {
          ...providerFields["api-key-stdin"],
          help: "read a new provider key from stdin and store it encrypted (replaces a secret name)",
        },
        "clear-api-key": { type: "boolean", help: "remove the stored (encrypted) provider key" },
      },
      notes: providerNotes,
      request: async ({ args, values, readProviderKey }) => ({
        method: "PATCH",
        path: `/providers/${enc(args["id|name"])}`,
        body: updateBody(await providerUpdateBody(values, readProviderKey), [
          ...Object.keys(providerFields),
          "clear-api-key",
        ]),
      }),
      output: "record",
    },
    delete: {
      summary: "Delete a provider binding. Refused (409, naming them) while key configs still use it.",
      args: ["id|name"],
      request: ({ args }) => ({ method: "DELETE", path: `/providers/${enc(args["id|name"])}` }),
      output: "deleted",
    },
  },
};

// ── virtual keys ──────────────────────────────────────────────────────────────────────────────────

/** @type {Resource} */
const virtualKeys = {
  summary: "virtual keys (alias: vk): the lw_vk_ secrets clients call the gateway with",
  noun: "virtual key",
  columns: ["id", "project_id", "name", "status", "display_prefix", "environment", "expires_at"].map(field),
  commands: {
    list: {
      summary: "List virtual keys, newest first.",
      options: { project: { type: "string", value: "ID", help: "only the keys of this project" }, limit: LIMIT },
      request: ({ values }) => ({
        method: "GET",
        path: "/virtual-keys",
        query: { project_id: text(values, "project"), limit: text(values, "limit") },
      }),
      output: "list",
    },
    get: {
      summary: "Show one virtual key, with its full config (never its secret).",
      args: ["id"],
      request: ({ args }) => ({ method: "GET", path: `/virtual-keys/${enc(args.id)}` }),
      output: "record",
    },
    create: {
      summary: "Create a virtual key. Its secret is printed once: store it then.",
      options: {
        project: { type: "string", value: "ID", help: "the project the key belongs to", required: true },
        name: { type: "string", value: "NAME", help: "a name for people", required: true },
        environment: {
          type: "string",
          value: "live|test",
          help: "the secret's prefix: lw_vk_live_ or lw_vk_test_",
          required: true,
        },
        principal: { type: "string", value: "ID", help: "who the key is for (a user or service id)" },
        "expires-at": { type: "string", value: "ISO", help: "when the key stops working, e.g. 2027-01-31T00:00:00Z" },
        "config-json": {
          type: "string",
          value: "JSON",
          help: 'the key config (docs/api.md, Virtual key config), e.g. \'{"providers":["openai-main"]}\'; defaults fill the rest',
        },
      },
      request: ({ values }) => ({
        method: "POST",
        path: "/virtual-keys",
        body: given({
          project_id: values.project,
          name: values.name,
          environment: oneOf(values, "environment", ["live", "test"]),
          principal_id: values.principal,
          expires_at: values["expires-at"],
          config: jsonObjectOption(values, "config-json"),
        }),
      }),
      output: "with-secret",
    },
    update: {
      summary: "Change a virtual key. --config-json is a JSON merge patch (RFC 7396) on the stored config.",
      args: ["id"],
      options: {
        name: { type: "string", value: "NAME", help: "the new name" },
        "config-json": {
          type: "string",
          value: "JSON",
          help: 'merge patch: fields given replace, null removes, e.g. \'{"rate_limits":{"rpm":60},"models_allowed":null}\'',
        },
        "expires-at": { type: "string", value: "ISO|none", help: "a new expiry, or none to remove it" },
        principal: { type: "string", value: "ID|none", help: "a new principal, or none to remove it" },
      },
      request: ({ args, values }) => ({
        method: "PATCH",
        path: `/virtual-keys/${enc(args.id)}`,
        body: updateBody(
          {
            name: values.name,
            config: jsonObjectOption(values, "config-json"),
            expires_at: orNull(values["expires-at"]),
            principal_id: orNull(values.principal),
          },
          ["name", "config-json", "expires-at", "principal"],
        ),
      }),
      output: "record",
    },
    rotate: {
      summary: "Issue a new secret for the key. The new secret is printed once: store it then.",
      args: ["id"],
      options: {
        "grace-seconds": {
          type: "string",
          value: "N",
          help: "how long the old secret keeps working (0-604800; default 0: it stops at once)",
        },
      },
      request: ({ args, values }) => ({
        method: "POST",
        path: `/virtual-keys/${enc(args.id)}/rotate`,
        body: given({ grace_seconds: wholeNumber(values, "grace-seconds") }),
      }),
      output: "with-secret",
    },
    revoke: {
      summary: "Revoke a virtual key for good (revoking twice is fine).",
      args: ["id"],
      request: ({ args }) => ({ method: "POST", path: `/virtual-keys/${enc(args.id)}/revoke`, body: {} }),
      output: "record",
    },
  },
};

// ── budgets ───────────────────────────────────────────────────────────────────────────────────────

// The budget vocabulary of src/contract/budgets.ts, pinned to it by test/e2e/cli-vocabulary.test.ts.
export const BUDGET_SCOPES = Object.freeze(["project", "virtual_key", "principal"]);
export const BUDGET_WINDOWS = Object.freeze(["hour", "day", "week", "month", "total"]);
export const ON_BREACH = Object.freeze(["block", "warn"]);

/** @satisfies {Record<string, OptionSpec>} */
const budgetTerms = {
  "limit-usd": {
    type: "string",
    value: "USD",
    help: 'the limit in dollars, a decimal with at most 6 places, e.g. 100 or "12.50" (on list, --limit is paging)',
  },
  "on-breach": {
    type: "string",
    value: "block|warn",
    help: "block: refuse requests (402) once spent; warn: let them pass with X-LangWatch-Budget-Warning",
  },
};

/**
 * A budget's limit on `update`, given as `--limit` or `--limit-usd` (both only when they agree).
 * @param {OptionValues} values
 * @returns {string | undefined}
 */
function limitUsd(values) {
  const short = text(values, "limit");
  const long = text(values, "limit-usd");
  if (short !== undefined && long !== undefined && short !== long) {
    throw new UsageError(`--limit ${short} and --limit-usd ${long} disagree; give the new limit once`);
  }
  return long ?? short;
}

/** @type {Resource} */
const budgets = {
  summary: "spending limits per project, virtual key or principal, with their live spend",
  noun: "budget",
  columns: [
    "id",
    "scope",
    "scope_id",
    "window",
    "limit_usd",
    "spent_usd",
    "reserved_usd",
    "on_breach",
    "resets_at",
  ].map(field),
  commands: {
    list: {
      summary: "List budgets with their spend in the current period, newest first.",
      options: {
        scope: { type: "string", value: "SCOPE", help: "only this scope: project, virtual_key or principal" },
        "scope-id": { type: "string", value: "ID", help: "only the budgets of this project, key or principal" },
        limit: LIMIT,
      },
      request: ({ values }) => ({
        method: "GET",
        path: "/budgets",
        query: {
          scope: oneOf(values, "scope", BUDGET_SCOPES),
          scope_id: text(values, "scope-id"),
          limit: text(values, "limit"),
        },
      }),
      output: "list",
    },
    get: {
      summary: "Show one budget with its spend, reservations in flight and reset time.",
      args: ["id"],
      request: ({ args }) => ({ method: "GET", path: `/budgets/${enc(args.id)}` }),
      output: "record",
    },
    create: {
      summary: "Create a budget. Windows are calendar periods in UTC (weeks start Monday); total never resets.",
      options: {
        scope: { type: "string", value: "SCOPE", help: "project, virtual_key or principal", required: true },
        "scope-id": {
          type: "string",
          value: "ID",
          help: "the project id (prj_…), key id (vk_…) or principal id the budget applies to",
          required: true,
        },
        window: { type: "string", value: "WINDOW", help: "hour, day, week, month or total", required: true },
        "limit-usd": { ...budgetTerms["limit-usd"], required: true },
        "on-breach": { ...budgetTerms["on-breach"], help: `${budgetTerms["on-breach"].help} (default block)` },
      },
      request: ({ values }) => ({
        method: "POST",
        path: "/budgets",
        body: given({
          scope: oneOf(values, "scope", BUDGET_SCOPES),
          scope_id: values["scope-id"],
          window: oneOf(values, "window", BUDGET_WINDOWS),
          limit_usd: values["limit-usd"],
          on_breach: oneOf(values, "on-breach", ON_BREACH),
        }),
      }),
      output: "record",
    },
    update: {
      summary: "Change a budget's limit or on_breach; the change applies from each key's next request.",
      args: ["id"],
      options: {
        limit: { type: "string", value: "USD", help: "the new limit in dollars (the same as --limit-usd)" },
        ...budgetTerms,
      },
      request: ({ args, values }) => ({
        method: "PATCH",
        path: `/budgets/${enc(args.id)}`,
        body: updateBody({ limit_usd: limitUsd(values), on_breach: oneOf(values, "on-breach", ON_BREACH) }, [
          "limit",
          ...Object.keys(budgetTerms),
        ]),
      }),
      output: "record",
    },
    delete: {
      summary: "Delete a budget; the keys it applied to stop counting against it.",
      args: ["id"],
      request: ({ args }) => ({ method: "DELETE", path: `/budgets/${enc(args.id)}` }),
      output: "deleted",
    },
  },
};

// ── audit ─────────────────────────────────────────────────────────────────────────────────────────

/** @type {Resource} */
const audit = {
  summary: "the audit log of admin writes",
  noun: "audit entry",
  columns: ["at", "actor", "action", "target_type", "target_id", "detail"].map(field),
  commands: {
    list: {
      summary: "List audit entries, newest first.",
      options: {
        target: { type: "string", value: "ID", help: "only the entries about this project, provider, key or budget" },
        limit: LIMIT,
      },
      request: ({ values }) => ({
        method: "GET",
        path: "/audit",
        query: { target_id: text(values, "target"), limit: text(values, "limit") },
      }),
      output: "list",
    },
  },
};

/** @type {Readonly<Record<string, Resource>>} */
export const RESOURCES = Object.freeze({ projects, providers, "virtual-keys": virtualKeys, budgets, audit });
