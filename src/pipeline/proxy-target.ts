import type { KeyBundle, ProviderBinding } from "../contract/bundle";
import { GatewayError } from "../errors";
import { familyFor } from "../providers/registry";
import type { ProviderFamily } from "../providers/types";

/**
 * The checks that pick what `/proxy/:provider/*` may reach, each a refusal in the OpenAI envelope that
 * says what to do: the key must allow the proxy, the name must be a binding of its chain whose family
 * has a raw passthrough, and the path must stay under the binding's API root.
 */

/**
 * An `invalid_request_error` with a status of its own. docs/api.md, Errors, has no type for "this key may not
 * use the proxy" (403) nor for "no such binding" (404), so these keep the client-error type and say
 * why in `code`.
 */
export class ProxyRefusal extends GatewayError {
  readonly #status: number;

  constructor(status: number, code: string, message: string) {
    super("invalid_request_error", code, message);
    this.#status = status;
  }

  override get status(): number {
    return this.#status;
  }
}

/** 403 unless the key's config sets `"proxy": true`. */
export function requireProxyEnabled(bundle: KeyBundle): void {
  if (bundle.config.proxy) return;
  throw new ProxyRefusal(
    403,
    "proxy_disabled",
    'This virtual key may not use /proxy. Ask the key\'s owner to set `"proxy": true` in its config (PATCH /admin/v1/virtual-keys/:id), or call the /v1 routes instead.',
  );
}

export interface ProxyTarget {
  binding: ProviderBinding;
  proxy: NonNullable<ProviderFamily["proxy"]>;
}

/** The binding of the key's chain named `name`, and its family's passthrough. */
export function proxyTarget(bundle: KeyBundle, name: string): ProxyTarget {
  const binding = bundle.providers.find((b) => b.name === name);
  if (!binding) {
    const names = bundle.providers.map((b) => b.name);
    throw new ProxyRefusal(
      404,
      "unknown_provider",
      `"${name}" is not a provider binding of this key's chain. Use one of: ${names.length ? names.join(", ") : "(none: the chain is empty)"}.`,
    );
  }
  const proxy = familyFor(binding.type)?.proxy;
  if (!proxy) {
    throw new ProxyRefusal(
      400,
      "proxy_unsupported",
      `The raw passthrough is not available for binding "${binding.name}" of type "${binding.type}". Call it through the /v1 routes instead.`,
    );
  }
  return { binding, proxy };
}

/**
 * The path below the API root as the client sent it (percent-encoded), refused when any segment,
 * decoded, is `.` or `..` (a way out from under the API root on the provider's host).
 */
export function proxyPath(rest: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new ProxyRefusal(400, "invalid_proxy_path", "The proxied path has an invalid percent-encoding. Fix the URL.");
  }
  if (decoded.split(/[/\\]/).some((s) => s === "." || s === "..")) {
    throw new ProxyRefusal(
      400,
      "invalid_proxy_path",
      "The proxied path may not contain `.` or `..` segments: it must stay under the binding's API root.",
    );
  }
  return rest;
}

/**
 * A proxied call whose body names no model (a GET, a non-JSON body, a provider that puts the model in
 * the path) cannot be checked against the key's model allowlist or rules, nor priced for its budgets.
 * On a key that has any of those, it is refused rather than let through ungoverned.
 */
export function requireModelWhenGoverned(bundle: KeyBundle, model: string | null): void {
  if (model !== null) return;
  const { models_allowed, policy_rules } = bundle.config;
  const why = [
    models_allowed !== null ? "a models_allowed list" : null,
    policy_rules.models.allow !== null || policy_rules.models.deny.length > 0 ? "policy_rules.models" : null,
    bundle.budgets.length > 0 ? "budgets" : null,
  ].filter((w): w is string => w !== null);
  if (why.length === 0) return;
  throw new ProxyRefusal(
    400,
    "proxy_model_required",
    `This key has ${why.join(" and ")}, so a proxied call must name its model: send a JSON body with a "model" field, or use the /v1 routes.`,
  );
}
