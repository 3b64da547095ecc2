import type { KeyBundle, ProviderBinding } from "../control-plane/bundles";
import { GatewayError } from "../errors";
import { familyFor } from "../providers/registry";
import type { ProviderFamily } from "../providers/types";

/**
 * The checks that pick what `/proxy/:provider/*` may reach, each a refusal in the OpenAI envelope that
 * says what to do: the key must allow the proxy, the name must be a binding of its chain whose family
 * has a raw passthrough, and the path must stay under the binding's API root.
 */

/**
 * An `invalid_request_error` with a status of its own. Contract §4 has no type for "this key may not
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
