import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/**
 * Contract §4: what a client sees when its only provider fails, in the ways not every family's row
 * of provider-conformance.test.ts covers (which has each family's retryable failures and refusals).
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

const BODY = { model: "gpt-4o-mini", messages: USER_MESSAGE };

/** A 502 `provider_error` from a one-binding chain; returns the message. */
async function expect502(scenario: string, body: object = BODY): Promise<string> {
  const { secret, providers } = await seedFakeChain([scenario]);
  const res = await postChat(secret, body);
  expect(res.status).toBe(502);
  expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
  expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
  expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "provider_error", code: "all_attempts_failed", param: null });
  expect(error.message).toContain(`attempt 1 ${providers[0]}:`);
  expect(error.message).not.toContain(env.FAKE_OPENAI_KEY);
  expect(recorded).toHaveLength(1);
  return error.message;
}

describe("a success that is not what was asked for", () => {
  it("text-200 on a streaming request: not an event stream, a 502 provider_error", async () => {
    expect(await expect502("text-200", { ...BODY, stream: true })).toContain("without an event stream");
  });
});

describe("a provider that never answers", () => {
  it("is cut off at attempt_timeout_ms and reported as 504 upstream_timeout", async () => {
    const { secret, providers } = await seedFakeChain(["hang"], {
      fallback: { max_attempts: 1, attempt_timeout_ms: 150 },
    });
    const started = Date.now();
    const res = await postChat(secret, BODY);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    const error = await readOpenAIError(res);
    expect(error).toMatchObject({ type: "upstream_timeout", code: "upstream_timeout", param: null });
    expect(error.message).toContain(`attempt 1 ${providers[0]}: timed out after 150 ms`);
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(3_000);
    expect(recorded[0]?.aborted).toBe(true);
  });

  it("times out a streaming request that gets no response head", async () => {
    const { secret } = await seedFakeChain(["hang"], { fallback: { max_attempts: 1, attempt_timeout_ms: 150 } });
    const res = await postChat(secret, { ...BODY, stream: true });
    expect(res.status).toBe(504);
    expect((await readOpenAIError(res)).code).toBe("upstream_timeout");
  });
});
