import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { app } from "../../src/http/app";

export { parseSse, streamedContent, type SseEvent } from "./sse";

/** Calls into the gateway as a client would, and reads what comes back. */

export const GATEWAY = "http://gw";

export const USER_MESSAGE = [{ role: "user", content: "hi" }];

/** Through the Worker's real fetch entry point (the runtime's own request/response plumbing). */
export function gatewayFetch(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`${GATEWAY}${path}`, init);
}

export function postChat(
  secret: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return gatewayFetch("/v1/chat/completions", {
    method: "POST",
    headers: {
      ...(secret === null ? {} : { authorization: `Bearer ${secret}` }),
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * Runs the Hono app directly against a modified env (bad configuration, a small body cap, a D1 that
 * fails). Returns the response and a function that waits for the request's `waitUntil` work.
 */
export async function fetchWithEnv(
  request: Request,
  overrides: Partial<Record<keyof Env, unknown>> & Record<string, unknown>,
): Promise<{ response: Response; settled: () => Promise<void> }> {
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...overrides }, ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

export interface OpenAIErrorBody {
  error: { type: string; code: string; message: string; param: string | null };
}

/** Reads an OpenAI error envelope, checking that it has exactly the contract's four fields. */
export async function readOpenAIError(res: Response): Promise<OpenAIErrorBody["error"]> {
  expectJson(res);
  const body = await res.json<OpenAIErrorBody>();
  const keys = Object.keys(body.error).sort();
  if (JSON.stringify(keys) !== JSON.stringify(["code", "message", "param", "type"])) {
    throw new Error(`error envelope has fields ${keys.join(", ")}: ${JSON.stringify(body)}`);
  }
  return body.error;
}

function expectJson(res: Response): void {
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) throw new Error(`expected a JSON response, got content-type "${type}"`);
}

export const ULID_BODY = "[0-9A-HJKMNP-TV-Z]{26}";
export const REQUEST_ID = new RegExp(`^grq_${ULID_BODY}$`);
export const TRACE_ID = /^[0-9a-f]{32}$/;
