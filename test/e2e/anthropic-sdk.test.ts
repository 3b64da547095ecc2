import { randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { FAKE_ANTHROPIC_USAGE } from "../fake-provider/anthropic";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { FAKE_KEY_SECRET, useStack } from "./support/stack";

/**
 * `/v1/messages` as an Anthropic client sees it: `wrangler dev` of the gateway in front of the fake
 * provider's Anthropic endpoint, driven with the official `@anthropic-ai/sdk` client.
 */

const FAKE_REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_PROVIDER_KEY = `sk-ant-fake-${randomBytes(8).toString("hex")}`;
const REQUEST_ID = /^grq_[0-9A-HJKMNP-TV-Z]{26}$/;
const hello = [{ role: "user" as const, content: "hello" }];

const stack = useStack("e2e-anthropic", FAKE_PROVIDER_KEY, (root) => {
  const binding = (name: string, scenario: string) => ({
    name,
    type: "anthropic",
    base_url: root(scenario),
    api_key_secret: FAKE_KEY_SECRET,
  });
  return {
    project: "e2e-anthropic",
    providers: [binding("claude", ""), binding("claude-529", "status-529"), binding("claude-drop", "drop-after-7")],
    keys: [
      { name: "claude", config: { providers: ["claude"] } },
      { name: "fallback", config: { providers: ["claude-529", "claude"] } },
      { name: "drop", config: { providers: ["claude-drop"] } },
    ],
  };
});
const fakeRequests = stack.fakeRequests;

/** An Anthropic client for one of the seeded keys (or any secret); no SDK retries, so each call is one request. */
function client(keyOrSecret: string): Anthropic {
  return new Anthropic({ baseURL: stack.gatewayUrl(), apiKey: stack.secret(keyOrSecret), maxRetries: 0 });
}

describe("messages through the @anthropic-ai/sdk client", () => {
  it("answers a non-streaming request with the message, its usage and the contract's headers", async () => {
    const { data, response } = await client("claude")
      .messages.create({ model: "claude-test", max_tokens: 64, messages: hello })
      .withResponse();
    expect(data.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(data.stop_reason).toBe("end_turn");
    expect(data.usage).toMatchObject(FAKE_ANTHROPIC_USAGE);
    expect(response.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
    expect(response.headers.get("x-langwatch-provider")).toBe("claude");
    expect(response.headers.get("x-langwatch-model")).toBe("claude-test");
    const [upstream] = await fakeRequests();
    expect(upstream?.path).toBe("/v1/messages");
    expect(upstream?.headers["x-api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(upstream?.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("streams: the SDK's event stream and its final message", async () => {
    const stream = client("claude").messages.stream({ model: "claude-test", max_tokens: 64, messages: hello });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe(FAKE_REPLY);
    expect(final.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject(FAKE_ANTHROPIC_USAGE);
  });

  it("falls back past an overloaded (529) binding", async () => {
    const { data, response } = await client("fallback")
      .messages.create({ model: "claude-test", max_tokens: 64, messages: hello })
      .withResponse();
    expect(data.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => r.scenario)).toEqual(["status-529", "ok"]);
  });

  it("a stream the provider drops: the partial text, then the SDK raises the gateway's terminal error", async () => {
    const stream = await client("drop").messages.create({
      model: "claude-test",
      max_tokens: 64,
      messages: hello,
      stream: true,
    });
    const types: string[] = [];
    let text = "";
    let error: unknown = null;
    try {
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
      }
    } catch (e) {
      error = e;
    }
    // Over a real socket the event written just before the connection breaks may not arrive, so the
    // partial text is asserted as a non-empty proper prefix of the reply (7 events: up to 4 words).
    expect(types[0]).toBe("message_start");
    expect(types).not.toContain("message_stop");
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(FAKE_REPLY.length);
    expect(FAKE_REPLY.startsWith(text)).toBe(true);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String((error as Error).message)).toContain("upstream_mid_stream_failure");
  });

  it("errors arrive in Anthropic's envelope, which the SDK reads", async () => {
    const error = await client("lw_vk_test_00000000000000000000000000")
      .messages.create({ model: "claude-test", max_tokens: 64, messages: hello })
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
});
