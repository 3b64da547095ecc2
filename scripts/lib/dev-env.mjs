// Which variables of the shell that runs `npm run dev` reach the Worker. The rule is by name, so it
// covers the gateway's variables of today and those later versions add under the same prefixes:
//
//   - every name that starts with LW_, GATEWAY_, AUTH_, MCP_, SERVER_ or ENABLE_
//     (LW_LOG_MESSAGE_BODY, GATEWAY_METRICS_TOKEN, AUTH_OIDC_ISSUER, MCP_SERVERS,
//     SERVER_MAX_REQUEST_BODY_BYTES, ENABLE_VISION, …);
//   - ENVIRONMENT.
//
// (Names are upper case: letters, digits and underscores.)
// Values set but empty are left out (the gateway counts an empty variable as unset, and an empty
// shell variable must not blank a secret of .dev.vars). A passed variable wins over the same name
// in .dev.vars for that run only; nothing is written to a file in the repository.

/** Name prefixes of the gateway's variables. */
export const WORKER_VAR_PREFIXES = Object.freeze(["LW_", "GATEWAY_", "AUTH_", "MCP_", "SERVER_", "ENABLE_"]);
/** Whole names of the gateway's variables that have no such prefix. */
export const WORKER_VAR_NAMES = Object.freeze(["ENVIRONMENT"]);

/**
 * Whether a variable of this name in the environment of `npm run dev` goes to the Worker.
 * @param {string} name
 * @returns {boolean}
 */
export const isWorkerVar = (name) =>
  /^[A-Z][A-Z0-9_]*$/.test(name) &&
  (WORKER_VAR_NAMES.includes(name) || WORKER_VAR_PREFIXES.some((prefix) => name.startsWith(prefix)));

/**
 * The variables of `env` that go to the Worker, by the rule above, sorted by name.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Record<string, string>}
 */
export function workerVarsFrom(env) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (isWorkerVar(name) && typeof value === "string" && value !== "") out[name] = value;
  }
  return out;
}
