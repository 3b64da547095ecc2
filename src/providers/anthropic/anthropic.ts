import type { ProviderBinding } from "../../contract/bundle";
import type { OutgoingBody } from "../../contract/wire";
import { endpoint, requireApiKey } from "../binding-key";
import { proxyUrl, sendProxied } from "../proxy-request";
import { retryableStatus, type CallContext, type ProviderFamily } from "../types";

/**
 * Anthropic's Messages API: `x-api-key` and `anthropic-version` headers, POST `{base_url}/v1/messages`
 * (the API root defaults to https://api.anthropic.com, as Anthropic's SDK takes it), and its token
 * counting at `/v1/messages/count_tokens`. A client's `anthropic-beta` header and `beta` query
 * parameter (`?beta=true`, which the SDK's beta client and Claude Code add) are forwarded as they
 * came, so beta features a client opted into keep working.
 */

export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";

/** Error types Anthropic uses for conditions another binding may not share. */
const RETRYABLE_ERROR_TYPES = new Set(["overloaded_error", "rate_limit_error", "api_error"]);

function errorType(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const type = (error as { type?: unknown }).type;
  return typeof type === "string" ? type : null;
}

/** The header that carries the binding's key. */
const authHeaders = (binding: ProviderBinding, env: Env): Record<string, string> => ({
  "x-api-key": requireApiKey(binding, env),
});

/** The client's forwarded query parameters as a query string ("" or "?…"). */
function queryOf(ctx: CallContext): string {
  const query = new URLSearchParams(ctx.forwardQuery ?? {}).toString();
  return query === "" ? "" : `?${query}`;
}

/** POSTs a body to `path` under the binding's API root, with the key, the version and the client's beta opt-ins. */
function post(binding: ProviderBinding, path: string, body: OutgoingBody, ctx: CallContext): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: body.json.stream === true ? "text/event-stream" : "application/json",
    ...authHeaders(binding, ctx.env),
    "anthropic-version": ANTHROPIC_VERSION,
  };
  const beta = ctx.forwardHeaders["anthropic-beta"];
  if (beta) headers["anthropic-beta"] = beta;
  return fetch(endpoint(binding, `${path}${queryOf(ctx)}`, ANTHROPIC_BASE_URL), {
    method: "POST",
    headers,
    body: body.bytes,
    signal: ctx.signal,
  });
}

export const anthropic: ProviderFamily = {
  format: "anthropic-messages",
  send: (binding, body, ctx) => post(binding, "/v1/messages", body, ctx),
  countTokens: (binding, body, ctx) => post(binding, "/v1/messages/count_tokens", body, ctx),
  /** 429, 529 (overloaded) and other 5xx, plus the error types that mean "not now" whatever the status. */
  isRetryable(status, body) {
    const type = errorType(body);
    return retryableStatus(status) || (type !== null && RETRYABLE_ERROR_TYPES.has(type));
  },
  /** The path goes under the API root with the key; `anthropic-version` defaults when the client sent none. */
  proxy: {
    send(binding, request, ctx) {
      const url = proxyUrl(binding, request, ANTHROPIC_BASE_URL);
      const headers = { "anthropic-version": ANTHROPIC_VERSION, ...request.headers };
      return sendProxied(url, { ...request, headers }, authHeaders(binding, ctx.env), ctx.signal);
    },
  },
};
