import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openAIError } from "../fake-provider/openai";
import { installFakeUpstream, recorded } from "../helpers/fake-upstream";
import { postChat, readOpenAIError, REQUEST_ID, USER_MESSAGE } from "../helpers/gateway";
import { seedFakeChain } from "../helpers/seed";

/** Contract §4: what a client sees when its only provider fails, one failure mode at a time. */

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

describe("retryable failures end in 502 provider_error when the chain is exhausted", () => {
  it("status-503", async () => {
    expect(await expect502("status-503")).toContain("HTTP 503");
  });

  it("status-429 (the provider's own rate limit is retryable, not the gateway's 429)", async () => {
    expect(await expect502("status-429")).toContain("HTTP 429");
  });

  it("html-502, without leaking the page", async () => {
    const message = await expect502("html-502");
    expect(message).toContain("HTTP 502 (HTML error page)");
    expect(message).not.toContain("<");
  });

  it("text-200: a success whose body is not JSON", async () => {
    expect(await expect502("text-200")).toContain("not JSON");
  });

  it("text-200 on a streaming request: a success that is not an event stream", async () => {
    expect(await expect502("text-200", { ...BODY, stream: true })).toContain("without an event stream");
  });
});

describe("a provider's own 4xx is passed through", () => {
  it.each([400, 422])("status-%i: same status, same body, X-LangWatch-Provider set", async (status) => {
    const { secret, providers } = await seedFakeChain([`status-${status}`, ""]);
    const res = await postChat(secret, BODY);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-langwatch-provider")).toBe(providers[0]);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    expect(res.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(await res.json()).toEqual(openAIError(status));
    expect(recorded).toHaveLength(1);
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
