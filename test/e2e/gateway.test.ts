import { randomBytes } from "node:crypto";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { collect, contentOf } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * The gateway as a client sees it: `wrangler dev` of the real Worker, in front of the fake provider
 * (another `wrangler dev`), driven with the official `openai` npm client.
 */

const FAKE_REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const REQUEST_ID = /^grq_[0-9A-HJKMNP-TV-Z]{26}$/;
const hello = [{ role: "user" as const, content: "hello" }];

const stack = useStack("e2e-gateway", FAKE_PROVIDER_KEY, (root) => {
  const fakeBinding = (name: string, scenario: string) => ({
    name,
    type: "openai-compatible",
    base_url: `${root(scenario)}/v1`,
    api_key_secret: FAKE_KEY_SECRET,
    models: ["gpt-4o-mini"],
  });
  return {
    project: "e2e",
    providers: [
      fakeBinding("fake", ""),
      fakeBinding("fake-503", "status-503"),
      fakeBinding("fake-drop", "drop-after-3"),
      { name: "mock", type: "mock", models: ["mock-echo"] },
    ],
    keys: [
      { name: "fake", config: { providers: ["fake"] } },
      { name: "fallback", config: { providers: ["fake-503", "fake"] } },
      { name: "drop", config: { providers: ["fake-drop"] } },
      { name: "mock", config: { providers: ["mock"], model_aliases: { fast: "mock/mock-echo" } } },
    ],
  };
});
const fakeRequests = stack.fakeRequests;

/** An openai client for one of the seeded keys (or any secret); no SDK retries, so each call is one request. */
function client(keyOrSecret: string): OpenAI {
  return new OpenAI({ baseURL: `${stack.gatewayUrl()}/v1`, apiKey: stack.secret(keyOrSecret), maxRetries: 0 });
}

describe("chat completions through the openai client", () => {
  it("answers a non-streaming request, with the contract's response headers", async () => {
    const { data, response } = await client("fake")
      .chat.completions.create({ model: "gpt-4o-mini", messages: hello }, { headers: { traceparent: TRACEPARENT } })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(FAKE_REPLY);
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: FAKE_REPLY_WORDS.length });
    expect(response.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(response.headers.get("x-langwatch-trace-id")).toBe(TRACE_ID);
    expect(response.headers.get("x-langwatch-provider")).toBe("fake");
    expect(response.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("0");
    const [upstream] = await fakeRequests();
    expect(upstream?.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
  });

  it("streams to a clean end, with no usage chunk when the client did not ask for one", async () => {
    const { data: stream, response } = await client("fake")
      .chat.completions.create(
        { model: "gpt-4o-mini", messages: hello, stream: true },
        { headers: { traceparent: TRACEPARENT } },
      )
      .withResponse();
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("x-langwatch-trace-id")).toBe(TRACE_ID);
    expect(response.headers.get("x-langwatch-provider")).toBe("fake");
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe(FAKE_REPLY);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
  });

  it("ends the raw event stream with data: [DONE]", async () => {
    const raw = await client("fake")
      .chat.completions.create({ model: "gpt-4o-mini", messages: hello, stream: true })
      .asResponse();
    expect(raw.status).toBe(200);
    const text = await raw.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(text).not.toContain("event: error");
  });

  it("ends the stream with a usage chunk when stream_options.include_usage is set", async () => {
    const stream = await client("fake").chat.completions.create({
      model: "gpt-4o-mini",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe(FAKE_REPLY);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: 11,
      completion_tokens: FAKE_REPLY_WORDS.length,
      total_tokens: 11 + FAKE_REPLY_WORDS.length,
    });
  });

  it("falls back to the next binding when the first answers 503", async () => {
    const { data, response } = await client("fallback")
      .chat.completions.create({ model: "gpt-4o-mini", messages: hello })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(FAKE_REPLY);
    expect(response.headers.get("x-langwatch-provider")).toBe("fake");
    expect(response.headers.get("x-langwatch-model")).toBe("gpt-4o-mini");
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["status-503", "ok"]);
  });

  it("delivers the partial content of a stream the provider drops, then raises the gateway's error", async () => {
    const stream = await client("drop").chat.completions.create({
      model: "gpt-4o-mini",
      messages: hello,
      stream: true,
    });
    const { chunks, error } = await collect(stream);
    // Over a real socket the chunk written just before the connection breaks may not arrive, so the
    // partial content is asserted as a non-empty proper prefix of the reply rather than exactly 3 frames.
    const partial = contentOf(chunks);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(FAKE_REPLY.length);
    expect(FAKE_REPLY.startsWith(partial)).toBe(true);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
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
