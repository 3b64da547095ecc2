import type { ProviderBinding } from "../contract/bundle";
import { endpoint } from "./binding-key";
import { BindingMisconfigured, type ProxyRequest } from "./types";

/**
 * What every family's raw passthrough (`ProviderFamily.proxy`) shares: which client headers may go
 * upstream, and the one upstream call. The client's credentials (the virtual key, in Authorization,
 * x-api-key, api-key or x-goog-api-key) and every header that could route or bill the call elsewhere
 * (openai-organization, openai-project, cookies, forwarding headers) are never on the list; the
 * family adds its own auth over what is.
 */

/** Client headers that shape the request and nothing else, lower-case. */
export const PROXY_REQUEST_HEADERS: readonly string[] = [
  "content-type",
  "accept",
  "anthropic-version",
  "anthropic-beta",
  "openai-beta",
  "idempotency-key",
];

/** The client's headers that may go upstream. */
export function proxyRequestHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROXY_REQUEST_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/**
 * Sends the request to `url` (the binding's API root + the request's path and query) with `auth`
 * over the client's allowed headers. Redirects come back to the client as they are, never followed
 * with the provider's key.
 */
export function sendProxied(
  url: string,
  request: ProxyRequest,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: request.method,
    headers: { ...request.headers, ...auth },
    body: request.body,
    signal,
    redirect: "manual",
  });
}

/** An API version segment: `v1`, `v2`, `v1beta`, `v1alpha1`. */
const VERSION_SEGMENT = /^v\d+[a-z0-9]*$/i;

/**
 * How many leading segments of `path` the API root's own path already ends with, so they are not
 * repeated: the root's whole path (the provider's own API path, `/v1/chat/completions` under
 * `https://api.openai.com/v1`, `/v1beta/openai/chat/completions` under Gemini's root), or its tail
 * from a version segment on (`/v1/chat/completions` under Groq's `…/openai/v1`). 0 when `path` is
 * relative to the root (`/chat/completions`).
 */
function overlap(rootSegments: readonly string[], pathSegments: readonly string[]): number {
  for (let k = Math.min(rootSegments.length, pathSegments.length); k > 0; k--) {
    const tail = rootSegments.slice(rootSegments.length - k);
    if (k < rootSegments.length && !VERSION_SEGMENT.test(tail[0] ?? "")) continue;
    if (tail.every((segment, i) => segment === pathSegments[i])) return k;
  }
  return 0;
}

/**
 * The upstream URL of a raw passthrough request: the binding's API root (`base_url`, else the family's
 * default root) and the request's path and query under it, without doubling the root's own path when
 * the client wrote the provider's full API path (overlap above).
 */
export function proxyUrl(
  binding: ProviderBinding,
  request: ProxyRequest,
  defaultRoot: string | null | undefined,
): string {
  const root = endpoint(binding, "", defaultRoot);
  let rootUrl: URL;
  try {
    rootUrl = new URL(root);
  } catch {
    throw new BindingMisconfigured(`binding ${binding.name} (${binding.type}) has a base_url that is not a URL`);
  }
  const rootPath = rootUrl.pathname.split("/").filter((segment) => segment !== "");
  const segments = request.path.split("/").slice(1);
  const skip = overlap(rootPath, segments);
  const rest =
    skip === 0 ? request.path : segments.slice(skip).length === 0 ? "" : `/${segments.slice(skip).join("/")}`;
  return `${root}${rest}${request.query}`;
}
