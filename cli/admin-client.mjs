// One request to the gateway's admin API (/admin/v1): the bearer token on, the answer parsed, and
// every failure turned into an ApiError (the API said no) or a NetworkError (no answer).
import { ApiError, NetworkError } from "./errors.mjs";

/** @typedef {import("./commands.mjs").ApiRequest} ApiRequest */

export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The full URL of an admin API request, with the query parameters that were given.
 * @param {string} baseUrl
 * @param {Pick<ApiRequest, "path" | "query">} request
 * @returns {string}
 */
export function adminUrl(baseUrl, { path, query = {} }) {
  const url = new URL(`${baseUrl}/admin/v1${path}`);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

/**
 * Why fetch failed, in the words of the underlying socket error when there is one (ECONNREFUSED, ENOTFOUND…).
 * @param {unknown} err
 * @returns {string}
 */
function networkCause(err) {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause && typeof cause === "object") {
    const code = "code" in cause && typeof cause.code === "string" ? cause.code : null;
    const message = "message" in cause && typeof cause.message === "string" ? cause.message : null;
    if (code && message && !message.includes(code)) return `${code}: ${message}`;
    if (message) return message;
    if (code) return code;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * The `error` object of an OpenAI-shaped error envelope, or null when the body is not one.
 * @param {unknown} parsed
 * @returns {{ message: string, type: string | null, code: string | null, param: string | null } | null}
 */
function errorEnvelope(parsed) {
  const error = parsed && typeof parsed === "object" && "error" in parsed ? parsed.error : null;
  if (!error || typeof error !== "object") return null;
  const { message, type, code, param } = /** @type {Record<string, unknown>} */ (error);
  if (typeof message !== "string") return null;
  /** @param {unknown} v */
  const text = (v) => (typeof v === "string" ? v : null);
  return { message, type: text(type), code: text(code), param: text(param) };
}

/**
 * @param {string} text
 * @returns {{ ok: boolean, value: unknown }}
 */
function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: undefined };
  }
}

/**
 * Sends one admin API request and resolves to the parsed JSON body (null for 204).
 * @param {{ baseUrl: string, adminToken: string, fetch: typeof fetch }} target
 * @param {ApiRequest} request
 * @returns {Promise<unknown>}
 */
export async function callAdminApi({ baseUrl, adminToken, fetch }, request) {
  const url = adminUrl(baseUrl, request);
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${adminToken}`, accept: "application/json", "user-agent": "faregate-cli" };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  let response;
  let text;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: "manual",
    });
    text = await response.text();
  } catch (err) {
    throw new NetworkError(
      `could not reach ${url}: ${networkCause(err)} (is the gateway running there? set --url or FAREGATE_URL)`,
    );
  }

  if (response.status === 204) return null;
  const body = text === "" ? { ok: false, value: undefined } : parseJson(text);
  if (response.ok) {
    if (body.ok) return body.value;
    throw new ApiError(
      `${request.method} ${url} answered ${response.status} without a JSON body: is ${baseUrl} a Faregate gateway?`,
      { status: response.status },
    );
  }
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location) {
    throw new ApiError(`${url} redirects to ${location}: point --url or FAREGATE_URL at the gateway's final URL`, {
      status: response.status,
    });
  }
  const envelope = body.ok ? errorEnvelope(body.value) : null;
  if (envelope) throw new ApiError(envelope.message, { status: response.status, ...envelope });
  const contentType = response.headers.get("content-type") ?? "no content type";
  throw new ApiError(
    `${request.method} ${url} answered HTTP ${response.status} (${contentType}) without a Faregate error: is ${baseUrl} a Faregate gateway?`,
    { status: response.status },
  );
}
