import { expect } from "vitest";
import { createKey, createProvider, type CreatedKey } from "./admin";
import { FAKE_BASE } from "./fake-upstream";
import { fetchWithEnv, gatewayFetch, GATEWAY } from "./gateway";

/** Calling `/v1/messages` as an Anthropic client would, against Anthropic-type fake bindings. */

/** The API root of an `anthropic` binding at the fake provider playing `scenario` (no `/v1`: Anthropic's SDK adds it). */
export const fakeAnthropicBaseUrl = (scenario?: string): string => `${FAKE_BASE}${scenario ? `/s/${scenario}` : ""}`;

export const ANTHROPIC_BODY = { model: "claude-test", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

/** A key whose chain is one fresh `anthropic` fake binding per scenario ("" is healthy), `config` merged in. */
export async function anthropicChain(
  scenarios: string[],
  config: Record<string, unknown> = {},
  providerFields: Record<string, unknown> = {},
): Promise<{ key: CreatedKey; bindings: string[] }> {
  const bindings: string[] = [];
  for (const s of scenarios) {
    const provider = await createProvider({ type: "anthropic", base_url: fakeAnthropicBaseUrl(s), ...providerFields });
    bindings.push(provider.name);
  }
  const key = await createKey({
    config: { providers: bindings, fallback: { max_attempts: 3, attempt_timeout_ms: 1_000 }, ...config },
  });
  return { key, bindings };
}

/** A POST in the Anthropic SDK's shape: the key in `x-api-key`, `anthropic-version`, a JSON body (a string is sent as it is). */
export function messagesInit(secret: string | null, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: {
      ...(secret === null ? {} : { "x-api-key": secret }),
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** POST /v1/messages through the Worker's fetch entry point, the key in `x-api-key`. */
export function postMessages(
  secret: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return gatewayFetch("/v1/messages", messagesInit(secret, body, headers));
}

/** POST /v1/messages through the app; reads the whole body and waits for settlement. */
export async function messagesSettled(
  secret: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; text: string }> {
  const { response, settled } = await fetchWithEnv(
    new Request(`${GATEWAY}/v1/messages`, messagesInit(secret, body, {})),
    {},
  );
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; code: string; message: string };
}

/** Reads the gateway's Anthropic error envelope, checking it has exactly the contract's fields. */
export async function readAnthropicError(res: Response): Promise<AnthropicErrorBody["error"]> {
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  const body = await res.json<AnthropicErrorBody>();
  expect(Object.keys(body).sort()).toEqual(["error", "type"]);
  expect(body.type).toBe("error");
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "type"]);
  return body.error;
}
