import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createServingKey, type CreatedKey } from "../helpers/admin";
import { installFakeUpstream } from "../helpers/fake-upstream";
import { GATEWAY, gatewayFetch } from "../helpers/gateway";
import { keyObjectState } from "../helpers/limits";

/**
 * The official SDKs against the gateway's own 429s: both retry a 429 by themselves and sleep its
 * whole Retry-After first (openai 6.x slept 85 668 s for an rpd refusal), unless the answer says
 * `x-should-retry: false`, which the gateway sends when a retry cannot pass within a minute, or never.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

/** Each SDK request goes to the Worker's fetch entry point; `sent` counts them. */
function counted() {
  const counter = { sent: 0 };
  const fetch = (url: string | URL | Request, init?: RequestInit) => {
    counter.sent++;
    const target = new URL(url instanceof Request ? url.url : String(url));
    return gatewayFetch(`${target.pathname}${target.search}`, init);
  };
  return { counter, fetch };
}

const MESSAGES = [{ role: "user" as const, content: "hi" }];

async function openaiCall(key: CreatedKey, maxRetries: number, max_tokens?: number) {
  const { counter, fetch } = counted();
  const client = new OpenAI({ baseURL: `${GATEWAY}/v1`, apiKey: key.secret, maxRetries, fetch });
  const started = Date.now();
  const result: unknown = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: MESSAGES, ...(max_tokens ? { max_tokens } : {}) })
    .catch((e: unknown) => e);
  return { result, sent: counter.sent, ms: Date.now() - started };
}

describe("a gateway rpd 429 (Retry-After of hours)", () => {
  it("the openai client with retries on gives up at once: one request, no sleep", async () => {
    const { key } = await createServingKey({ rate_limits: { rpd: 1 } });
    expect((await openaiCall(key, 3)).result).toHaveProperty("choices");
    const refused = await openaiCall(key, 3);
    expect(refused.result).toBeInstanceOf(OpenAI.RateLimitError);
    const err = refused.result as InstanceType<typeof OpenAI.RateLimitError>;
    expect(Number(err.headers.get("retry-after"))).toBeGreaterThan(80_000);
    expect(err.headers.get("x-should-retry")).toBe("false");
    expect(err.headers.get("x-langwatch-ratelimit-dimension")).toBe("rpd");
    expect(refused.sent).toBe(1);
    expect(refused.ms).toBeLessThan(5_000);
    expect((await keyObjectState(key.id)).windows.rpd.used).toBe(1);
  });

  it("the Anthropic client with retries on gives up at once too", async () => {
    const { key } = await createServingKey({ rate_limits: { rpd: 1 } });
    const { counter, fetch } = counted();
    const client = new Anthropic({ baseURL: GATEWAY, apiKey: key.secret, maxRetries: 3, fetch });
    const ask = () =>
      client.messages.create({ model: "claude-test", max_tokens: 16, messages: MESSAGES }).catch((e: unknown) => e);
    expect(await ask()).toHaveProperty("content");
    const refused = await ask();
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(counter.sent).toBe(2);
  });
});

describe("a tpm 429 that can never pass", () => {
  it("carries no Retry-After, and the openai client does not retry it", async () => {
    const { key } = await createServingKey({ rate_limits: { tpm: 100 } });
    const refused = await openaiCall(key, 3, 500);
    expect(refused.result).toBeInstanceOf(OpenAI.RateLimitError);
    const err = refused.result as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err.headers.get("retry-after")).toBeNull();
    expect(err.headers.get("x-should-retry")).toBe("false");
    expect(refused.sent).toBe(1);
  });
});

describe("the SDK's own retry decision", () => {
  /** openai's `shouldRetry(response)`: what it does with a 429 before sleeping. */
  const shouldRetry = (res: Response) =>
    (new OpenAI({ apiKey: "unused" }) as unknown as { shouldRetry(r: Response): Promise<boolean> }).shouldRetry(res);

  it("is yes for an rpm 429 (a retry passes within the minute), no for rpd", async () => {
    const { key } = await createServingKey({ rate_limits: { rpm: 1, rpd: 100 } });
    const send = () =>
      gatewayFetch("/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: MESSAGES }),
      });
    expect((await send()).status).toBe(200);
    const rpm = await send();
    expect(rpm.status).toBe(429);
    expect(Number(rpm.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(rpm.headers.get("x-should-retry")).toBeNull();
    expect(await shouldRetry(rpm)).toBe(true);

    const { key: daily } = await createServingKey({ rate_limits: { rpd: 1 } });
    await openaiCall(daily, 0);
    const rpd = await gatewayFetch("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${daily.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: MESSAGES }),
    });
    expect(rpd.status).toBe(429);
    expect(await shouldRetry(rpd)).toBe(false);
  });
});
