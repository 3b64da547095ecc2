import path from "node:path";
import { randomBytes } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort, seedLocalGateway, startWorker } from "../../scripts/lib/local-stack.mjs";
import { FAKE_PROVIDER_CONFIG, GATEWAY_CONFIG } from "../../scripts/lib/paths.mjs";
import { FAKE_ANTHROPIC_USAGE } from "../fake-provider/anthropic";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { tempRunDir } from "./support/run-log";

/**
 * Translation as the official clients see it: `wrangler dev` of the gateway in front of the fake
 * provider, the `openai` client served by an Anthropic binding and `@anthropic-ai/sdk` served by
 * OpenAI-format bindings (the fake provider's chat completions, and the built-in mock).
 */

type Worker = Awaited<ReturnType<typeof startWorker>>;
interface RecordedRequest {
  path: string;
  scenario: string;
  headers: Record<string, string>;
}

const FAKE_REPLY = FAKE_REPLY_WORDS.join(" ");
const FAKE_PROVIDER_KEY = `sk-fake-${randomBytes(8).toString("hex")}`;
const U = FAKE_ANTHROPIC_USAGE;
const hello = [{ role: "user" as const, content: "hello" }];

const run = tempRunDir("e2e-translation");
let fake: Worker | undefined;
let gateway: Worker | undefined;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  const dir = await run.create();
  const fakePort = await freePort();
  const root = (scenario: string) => `http://127.0.0.1:${fakePort}${scenario ? `/s/${scenario}` : ""}`;
  const claude = (name: string, scenario: string) => ({
    name,
    type: "anthropic",
    base_url: root(scenario),
    api_key_secret: "FAKE_PROVIDER_KEY",
  });
  const gpt = (name: string, scenario: string) => ({
    name,
    type: "openai-compatible",
    base_url: `${root(scenario)}/v1`,
    api_key_secret: "FAKE_PROVIDER_KEY",
  });
  const pepper = randomBytes(32).toString("hex");
  const persistDir = path.join(dir, "gateway-state");
  const [fakeStarted, seededResult] = await Promise.allSettled([
    startWorker({
      config: FAKE_PROVIDER_CONFIG,
      port: fakePort,
      persistDir: path.join(dir, "fake-state"),
      logFile: path.join(dir, "fake-provider.log"),
    }),
    seedLocalGateway({
      persistDir,
      pepper,
      project: "e2e-translation",
      providers: [
        claude("claude", ""),
        claude("claude-529", "status-529"),
        claude("claude-drop", "drop-after-6"),
        gpt("gpt", ""),
        { name: "mock", type: "mock" },
      ],
      keys: [
        { name: "openai-on-claude", config: { providers: ["claude"] } },
        { name: "openai-on-claude-drop", config: { providers: ["claude-drop"] } },
        { name: "anthropic-on-gpt", config: { providers: ["gpt"] } },
        { name: "mixed", config: { providers: ["claude-529", "gpt"] } },
        { name: "mock", config: { providers: ["mock"] } },
      ],
    }),
  ]);
  if (fakeStarted.status === "fulfilled") fake = fakeStarted.value;
  else throw fakeStarted.reason;
  if (seededResult.status === "rejected") throw seededResult.reason;
  for (const k of seededResult.value.keys) secrets[k.name] = k.secret;
  gateway = await startWorker({
    config: GATEWAY_CONFIG,
    persistDir,
    logFile: path.join(dir, "gateway.log"),
    vars: {
      ENVIRONMENT: "development",
      LW_VIRTUAL_KEY_PEPPER: pepper,
      LW_GATEWAY_INTERNAL_SECRET: randomBytes(32).toString("hex"),
      LW_GATEWAY_JWT_SECRET: randomBytes(32).toString("hex"),
      LW_GATEWAY_ADMIN_TOKEN: randomBytes(24).toString("hex"),
      FAKE_PROVIDER_KEY,
    },
  });
});

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), fake?.stop()]);
});

beforeEach(async () => {
  await fetch(`${fake?.url}/__reset`);
});

/** No SDK retries, so each call is one request. */
const openai = (key: string) =>
  new OpenAI({ baseURL: `${gateway?.url}/v1`, apiKey: secrets[key] ?? key, maxRetries: 0 });
const anthropic = (key: string) =>
  new Anthropic({ baseURL: gateway?.url ?? "", apiKey: secrets[key] ?? key, maxRetries: 0 });

async function fakeRequests(): Promise<RecordedRequest[]> {
  const res = await fetch(`${fake?.url}/__requests`);
  return (await res.json()) as RecordedRequest[];
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: null as unknown };
  } catch (error) {
    return { chunks, error };
  }
}

const contentOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

describe("the openai client, served by an Anthropic binding", () => {
  it("not streamed: a chat completion with the upstream's usage", async () => {
    const { data, response } = await openai("openai-on-claude")
      .chat.completions.create({ model: "claude-test", messages: hello })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.content).toBe(FAKE_REPLY);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({
      prompt_tokens: U.input_tokens + U.cache_read_input_tokens + U.cache_creation_input_tokens,
      completion_tokens: U.output_tokens,
    });
    expect(response.headers.get("x-langwatch-provider")).toBe("claude");
    const [upstream] = await fakeRequests();
    expect(upstream?.path).toBe("/v1/messages");
    expect(upstream?.headers["x-api-key"]).toBe(FAKE_PROVIDER_KEY);
  });

  it("streamed: content chunks, the finish reason and the usage chunk", async () => {
    const stream = await openai("openai-on-claude").chat.completions.create({
      model: "claude-test",
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe(FAKE_REPLY);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(U.output_tokens);
  });

  it("a dropped stream: partial content, then the SDK raises the gateway's terminal error", async () => {
    const stream = await openai("openai-on-claude-drop").chat.completions.create({
      model: "claude-test",
      messages: hello,
      stream: true,
    });
    const { chunks, error } = await collect(stream);
    const partial = contentOf(chunks);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(FAKE_REPLY.length);
    expect(FAKE_REPLY.startsWith(partial)).toBe(true);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
  });
});

describe("@anthropic-ai/sdk, served by OpenAI-format bindings", () => {
  it("not streamed: a message with the upstream's usage", async () => {
    const { data, response } = await anthropic("anthropic-on-gpt")
      .messages.create({ model: "gpt-test", max_tokens: 64, messages: hello })
      .withResponse();
    expect(data.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(data.stop_reason).toBe("end_turn");
    expect(data.usage).toMatchObject({ input_tokens: 8, cache_read_input_tokens: 3, output_tokens: 7 });
    expect(response.headers.get("x-langwatch-provider")).toBe("gpt");
    const [upstream] = await fakeRequests();
    expect(upstream?.path).toBe("/v1/chat/completions");
    expect(upstream?.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
  });

  it("streamed: the SDK's text events and final message", async () => {
    const stream = anthropic("anthropic-on-gpt").messages.stream({
      model: "gpt-test",
      max_tokens: 64,
      messages: hello,
    });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe(FAKE_REPLY);
    expect(final.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject({ input_tokens: 8, output_tokens: 7 });
  });

  it("falls back from an overloaded (529) Anthropic binding to the OpenAI one", async () => {
    const { data, response } = await anthropic("mixed")
      .messages.create({ model: "gpt-test", max_tokens: 64, messages: hello })
      .withResponse();
    expect(data.content).toEqual([{ type: "text", text: FAKE_REPLY }]);
    expect(response.headers.get("x-langwatch-fallback-count")).toBe("1");
    expect((await fakeRequests()).map((r) => [r.scenario, r.path])).toEqual([
      ["status-529", "/v1/messages"],
      ["ok", "/v1/chat/completions"],
    ]);
  });

  it("the built-in mock answers, streaming and not", async () => {
    const message = await anthropic("mock").messages.create({ model: "mock-echo", max_tokens: 64, messages: hello });
    expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("You said: hello") });
    const final = await anthropic("mock")
      .messages.stream({ model: "mock-echo", max_tokens: 64, messages: hello })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("You said: hello") });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });
});
