import { randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * The runbooks' diagnostics through the official clients against `wrangler dev`: a gateway rpd 429
 * is not retried however many retries the client allows (its Retry-After is hours away), and the
 * Anthropic client's `models.list()` reads the key's models.
 */

const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const hello = [{ role: "user" as const, content: "hello" }];

const stack = useStack("e2e-sdk-diagnostics", FAKE_PROVIDER_KEY, (root) => ({
  project: "e2e-sdk-diagnostics",
  providers: [
    {
      name: "open",
      type: "openai-compatible",
      base_url: `${root("")}/v1`,
      api_key_secret: FAKE_KEY_SECRET,
      models: [],
    },
  ],
  keys: [
    { name: "daily", config: { providers: ["open"], rate_limits: { rpd: 1 } } },
    { name: "daily-anthropic", config: { providers: ["open"], rate_limits: { rpd: 1 } } },
    { name: "listed", config: { providers: ["open"], models_allowed: ["gpt-4o-mini", "gpt-*"] } },
  ],
}));

describe("a gateway rpd 429", () => {
  it("the openai client with maxRetries 3 gets a RateLimitError at once, after one request", async () => {
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret("daily"), maxRetries: 3 });
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: hello });
    const started = Date.now();
    const error = await client.chat.completions.create({ model: "gpt-4o-mini", messages: hello }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (error as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(headers.get("x-langwatch-ratelimit-dimension")).toBe("rpd");
    expect(Number(headers.get("retry-after"))).toBeGreaterThan(60);
    expect(headers.get("x-should-retry")).toBe("false");
  });

  it("the Anthropic client with maxRetries 3 likewise", async () => {
    const client = new Anthropic({
      baseURL: stack.gatewayUrl(),
      apiKey: stack.secret("daily-anthropic"),
      maxRetries: 3,
    });
    const ask = () => client.messages.create({ model: "gpt-4o-mini", max_tokens: 16, messages: hello });
    await ask();
    const started = Date.now();
    const error = await ask().then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
  });
});

describe("listing models", () => {
  it("openai's models.list() shows the exact allowlisted model of a binding that declares none", async () => {
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret("listed"), maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
  });

  it("Anthropic's models.list() reads the same list in its own shape", async () => {
    const client = new Anthropic({ baseURL: stack.gatewayUrl(), apiKey: stack.secret("listed"), maxRetries: 0 });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toEqual([
      expect.objectContaining({ type: "model", id: "gpt-4o-mini", display_name: "gpt-4o-mini" }),
    ]);
  });
});
