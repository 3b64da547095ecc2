import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handleFakeProvider, recorded, resetRecorded } from "../fake-provider/worker";
import { createKey, createProvider, type CreatedKey } from "../helpers/admin";
import { ANTHROPIC_BODY, postMessages, readAnthropicError } from "../helpers/anthropic";
import { fakeBaseUrl } from "../helpers/fake-upstream";
import { GATEWAY, gatewayFetch, postChat, readOpenAIError, USER_MESSAGE } from "../helpers/gateway";

/**
 * A provider's own 429 that ends the fallback chain: the runbook tells it from the key's limits by
 * `rate_limit_exceeded` WITH `X-LangWatch-Provider` and WITHOUT `X-LangWatch-RateLimit-Dimension`,
 * so that is how it is answered, with the provider's Retry-After (bounded) and `x-should-retry:
 * false` when no automatic retry can succeed soon.
 */

/** What https://quota.test answers every request with: a 429 and these headers. */
let quotaHeaders: Record<string, string> = {};
const QUOTA_ROOT = "https://quota.test/v1";
let upstreamCalls = 0;

beforeEach(() => {
  resetRecorded();
  quotaHeaders = {};
  upstreamCalls = 0;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const host = new URL(request.url).hostname;
    upstreamCalls++;
    if (host === "quota.test") {
      return Response.json(
        { error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" } },
        { status: 429, headers: quotaHeaders },
      );
    }
    if (host === "fake.test") return handleFakeProvider(request);
    throw new Error(`unexpected upstream ${request.url}`);
  });
});
afterEach(() => vi.restoreAllMocks());

const chat = (secret: string) => postChat(secret, { model: "gpt-4o-mini", messages: USER_MESSAGE });

async function chainKey(roots: string[], type = "openai-compatible"): Promise<{ key: CreatedKey; names: string[] }> {
  const names: string[] = [];
  for (const base_url of roots) names.push((await createProvider({ base_url, type })).name);
  return {
    key: await createKey({ config: { providers: names, fallback: { max_attempts: 3, attempt_timeout_ms: 2_000 } } }),
    names,
  };
}

async function expectUpstream429(res: Response, provider: string): Promise<string> {
  expect(res.status).toBe(429);
  expect(res.headers.get("x-langwatch-provider")).toBe(provider);
  expect(res.headers.get("x-langwatch-ratelimit-dimension")).toBeNull();
  const error = await readOpenAIError(res);
  expect(error).toMatchObject({ type: "rate_limit_exceeded", code: "upstream_rate_limited", param: null });
  expect(error.message).toContain(provider);
  expect(error.message).toContain("HTTP 429");
  expect(error.message).toContain("not this key's rate limits");
  return error.message;
}

describe("the chain's last attempt is a provider 429", () => {
  it("answers 429 rate_limit_exceeded with X-LangWatch-Provider and no dimension, and no Retry-After when the provider sent none", async () => {
    const { key, names } = await chainKey([fakeBaseUrl("status-429")]);
    const res = await chat(key.secret);
    expect(res.headers.get("retry-after")).toBeNull();
    expect(res.headers.get("x-should-retry")).toBeNull();
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("0");
    await expectUpstream429(res, names[0] ?? "");
  });

  it("after fallback: the last binding's 429 decides, the earlier failures are listed", async () => {
    const { key, names } = await chainKey([fakeBaseUrl("status-503"), fakeBaseUrl("status-429")]);
    const res = await chat(key.secret);
    expect(res.headers.get("x-langwatch-fallback-count")).toBe("1");
    const message = await expectUpstream429(res, names[1] ?? "");
    expect(message).toContain(`attempt 1 ${names[0]}: HTTP 503`);
  });

  it("a 429 followed by another failure is still a 502, and a 429 followed by an answer a 200", async () => {
    const failed = await chainKey([fakeBaseUrl("status-429"), fakeBaseUrl("status-503")]);
    const res = await chat(failed.key.secret);
    expect(res.status).toBe(502);
    expect((await readOpenAIError(res)).code).toBe("all_attempts_failed");
    const served = await chainKey([fakeBaseUrl("status-429"), fakeBaseUrl()]);
    expect((await chat(served.key.secret)).status).toBe(200);
  });

  it("comes in Anthropic's envelope on /v1/messages", async () => {
    const { key, names } = await chainKey([fakeBaseUrl("status-429")]);
    const res = await postMessages(key.secret, ANTHROPIC_BODY);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-langwatch-provider")).toBe(names[0]);
    expect(res.headers.get("x-langwatch-ratelimit-dimension")).toBeNull();
    expect(await readAnthropicError(res)).toMatchObject({ type: "rate_limit_exceeded", code: "upstream_rate_limited" });
  });

  it("an anthropic binding's 429 is the same", async () => {
    const { key, names } = await chainKey(["https://fake.test/s/status-429"], "anthropic");
    await expectUpstream429(await chat(key.secret), names[0] ?? "");
  });
});

describe("the provider's Retry-After", () => {
  const soon = new Date(Date.now() + 120_000).toUTCString();
  it.each([
    ["seconds", { "retry-after": "30" }, "30", null],
    ["a fraction, rounded up", { "retry-after": "1.2" }, "2", null],
    ["retry-after-ms first", { "retry-after-ms": "1500", "retry-after": "30" }, "2", null],
    ["zero, raised to 1", { "retry-after": "0" }, "1", null],
    ["over a minute: no automatic retry", { "retry-after": "3600" }, "3600", "false"],
    ["absurd, cut to a day", { "retry-after": "99999999999" }, "86400", "false"],
    ["garbage: none", { "retry-after": "soon" }, null, null],
    ["negative: none", { "retry-after": "-5" }, null, null],
    ["the provider said not to retry", { "retry-after": "5", "x-should-retry": "false" }, "5", "false"],
  ])("%s", async (_, headers, retryAfter, shouldRetry) => {
    quotaHeaders = headers;
    const { key, names } = await chainKey([QUOTA_ROOT]);
    const res = await chat(key.secret);
    expect(res.headers.get("retry-after")).toBe(retryAfter);
    expect(res.headers.get("x-should-retry")).toBe(shouldRetry);
    await expectUpstream429(res, names[0] ?? "");
  });

  it("an HTTP date, as seconds from now", async () => {
    quotaHeaders = { "retry-after": soon };
    const { key } = await chainKey([QUOTA_ROOT]);
    const res = await chat(key.secret);
    const seconds = Number(res.headers.get("retry-after"));
    expect(seconds).toBeGreaterThan(100);
    expect(seconds).toBeLessThanOrEqual(121);
    expect(res.headers.get("x-should-retry")).toBe("false");
  });
});

describe("the official openai client", () => {
  const client = (key: CreatedKey, maxRetries: number) =>
    new OpenAI({
      baseURL: `${GATEWAY}/v1`,
      apiKey: key.secret,
      maxRetries,
      fetch: (url: string | URL | Request, init?: RequestInit) => {
        const target = new URL(url instanceof Request ? url.url : String(url));
        return gatewayFetch(`${target.pathname}${target.search}`, init);
      },
    });

  it("does not retry an upstream 429 whose Retry-After is an hour, and reads it as a RateLimitError", async () => {
    quotaHeaders = { "retry-after": "3600" };
    const { key } = await chainKey([QUOTA_ROOT]);
    const started = Date.now();
    const err: unknown = await client(key, 3)
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("upstream_rate_limited");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(upstreamCalls).toBe(1);
  });

  it("retries one whose Retry-After is a second (so the hint is what stops it above)", async () => {
    quotaHeaders = { "retry-after": "1" };
    const { key } = await chainKey([QUOTA_ROOT]);
    const err: unknown = await client(key, 1)
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(upstreamCalls).toBe(2);
    expect(recorded).toHaveLength(0);
  });
});
