import { randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { collect, contentOf } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * The gateway as a client sees it: `wrangler dev` of the real Worker, in front of the fake provider
 * (another `wrangler dev`), driven with the official clients: the raw event stream, the mock
 * provider, models and keys. Each family's answers, streams, fallback and broken streams through
 * both SDKs are provider-sdk-conformance.test.ts.
 */

const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const REQUEST_ID = /^grq_[0-9A-HJKMNP-TV-Z]{26}$/;
const hello = [{ role: "user" as const, content: "hello" }];

const stack = useStack("e2e-gateway", FAKE_PROVIDER_KEY, (root) => {
  const fakeBinding = (name: string) => ({
    name,
    type: "openai-compatible",
    base_url: `${root("")}/v1`,
    api_key_secret: FAKE_KEY_SECRET,
    models: ["gpt-4o-mini"],
  });
  return {
    project: "e2e",
    providers: [fakeBinding("fake"), { name: "mock", type: "mock", models: ["mock-echo"] }],
    keys: [
      { name: "fake", config: { providers: ["fake"] } },
      { name: "mock", config: { providers: ["mock"], model_aliases: { fast: "mock/mock-echo" } } },
    ],
  };
});

/** An openai client for one of the seeded keys (or any secret); no SDK retries, so each call is one request. */
function client(keyOrSecret: string): OpenAI {
  return new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret(keyOrSecret), maxRetries: 0 });
}

describe("chat completions through the openai client, raw", () => {
  it("ends the raw event stream with data: [DONE]", async () => {
    const raw = await client("fake")
      .chat.completions.create({ model: "gpt-4o-mini", messages: hello, stream: true })
      .asResponse();
    expect(raw.status).toBe(200);
    const text = await raw.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(text).not.toContain("event: error");
  });
});

describe("the mock provider (ENVIRONMENT=development)", () => {
  it("answers a non-streaming request", async () => {
    const { data, response } = await client("mock")
      .chat.completions.create({ model: "mock-echo", messages: hello })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain("Hello from the Faregate mock provider");
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-langwatch-provider")).toBe("mock");
    expect(response.headers.get("x-langwatch-model")).toBe("mock-echo");
  });

  it("streams through an alias, with usage when asked", async () => {
    const stream = await client("mock").chat.completions.create({
      model: "fast",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toContain("Hello from the Faregate mock provider. You said: hello");
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });
});

describe("models and keys", () => {
  it("lists the models a key may use", async () => {
    const fakeModels = await client("fake").models.list();
    expect(fakeModels.data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
    const mockModels = await client("mock").models.list();
    expect(mockModels.data.map((m) => m.id).sort()).toEqual(["fast", "mock-echo"]);
  });

  it("rejects an unknown key with AuthenticationError and the contract's error type", async () => {
    const unknown = `lw_vk_test_${"0".repeat(26)}`;
    const error = await client(unknown)
      .chat.completions.create({ model: "gpt-4o-mini", messages: hello })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, type: "invalid_api_key", code: "unknown_key" });
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).headers?.get("x-langwatch-request-id")).toMatch(
      REQUEST_ID,
    );
  });

  it("rejects an unknown key on /v1/messages in Anthropic's envelope, which @anthropic-ai/sdk reads", async () => {
    const error = await new Anthropic({
      baseURL: stack.gatewayUrl(),
      apiKey: `lw_vk_test_${"0".repeat(26)}`,
      maxRetries: 0,
    }).messages
      .create({ model: "claude-test", max_tokens: 64, messages: hello })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const body = (error as InstanceType<typeof Anthropic.AuthenticationError>).error as {
      type: string;
      error: { type: string };
    };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_api_key");
  });

  it("rejects a malformed key with AuthenticationError, code malformed_key", async () => {
    const error = await client("lw_vk_test_tooshort")
      .models.list()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, type: "invalid_api_key", code: "malformed_key" });
  });
});
