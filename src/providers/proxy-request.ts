import type { ProxyRequest } from "./types";

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
