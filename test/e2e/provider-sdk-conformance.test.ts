import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FAKE_ANTHROPIC_USAGE } from "../fake-provider/anthropic";
import { FAKE_AWS_ACCESS_KEY_ID, FAKE_AWS_SECRET_ACCESS_KEY, FAKE_BEDROCK_USAGE } from "../fake-provider/bedrock";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import { anthropicClient, collect, contentOf, openaiClient } from "./support/sdk-clients";
import { FAKE_KEY_SECRET, useStack, type RecordedRequest } from "./support/stack";

/**
 * The provider families as the official clients see them: `wrangler dev` of the gateway in front
 * of the fake provider (another `wrangler dev`), one table of families (each binding type with the
 * fake's version of its provider's API) driven by both SDKs, `openai` on /v1/chat/completions and
 * `@anthropic-ai/sdk` on /v1/messages, translated where the family speaks the other:
 *
 *   - a whole answer: its text, usage and the contract's headers; what the fake received (path, auth)
 *   - a stream: the SDK's events, one normal finish, the usage
 *   - a retryable failure: the next binding serves
 *   - a stream that breaks midway: the partial text, then the SDK raises the gateway's terminal error
 *
 * Over real sockets. The exhaustive cases per family (every failure, usage in the ledger, timeouts)
 * are test/integration/provider-conformance.test.ts; Workers AI has no row here (`wrangler dev` has
 * no local AI binding).
 */

const REPLY = FAKE_REPLY_WORDS.join(" ");
const REQUEST_ID = /^grq_[0-9A-HJKMNP-TV-Z]{26}$/;
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const hello = [{ role: "user" as const, content: "hello" }];

/**
 * The one Worker secret every seeded binding names: the fake's AWS secret access key, which SigV4
 * needs and which the other fakes take as any other key (they check only that one is sent).
 */
const PROVIDER_KEY = FAKE_AWS_SECRET_ACCESS_KEY;

/** Token counts as the ledger counts them: `input` is every prompt token, cache reads and writes included. */
interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

interface SdkFamily {
  /** The row's name, and the name of its healthy binding (the others add their scenario). */
  name: string;
  model: string;
  /** The binding's fields at the fake's `root` for a scenario. */
  binding: (root: string) => Record<string, unknown>;
  /** The path the fake received a request on. */
  path: (stream: boolean) => string;
  /** Headers that request must carry. */
  auth: Record<string, string | RegExp>;
  /** Values that must appear nowhere in what the fake received (headers included). */
  neverSent: string[];
  usage: Usage;
  retryable: { scenario: string; streamOnly?: boolean }[];
  /** A stream that breaks after some content, and what the terminal error says. */
  midStream: { scenario: string; reason: RegExp };
}

const OPENAI_USAGE: Usage = { input: 11, output: FAKE_REPLY_WORDS.length, cacheRead: 3, cacheWrite: 0 };
const BEARER = `Bearer ${PROVIDER_KEY}`;
/** Over a socket the break reads as a lost connection, not as the fake's own words. */
const OPENAI_DROP = { scenario: "drop-after-3", reason: /stream broke after \d+ chunks/ };

const BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const BEDROCK_PATH = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0";

const FAMILIES: SdkFamily[] = [
  {
    name: "openai-compatible",
    model: "gpt-4o-mini",
    binding: (root) => ({ type: "openai-compatible", base_url: `${root}/v1` }),
    path: () => "/v1/chat/completions",
    auth: { authorization: BEARER },
    neverSent: [],
    usage: OPENAI_USAGE,
    retryable: [{ scenario: "status-503" }],
    midStream: OPENAI_DROP,
  },
  {
    name: "azure",
    model: "gpt-4o-mini",
    binding: (root) => ({ type: "azure", base_url: root }),
    path: () => "/openai/deployments/gpt-4o-mini/chat/completions",
    auth: { "api-key": PROVIDER_KEY },
    neverSent: [],
    usage: OPENAI_USAGE,
    retryable: [{ scenario: "status-429" }],
    // Azure's stream opens with a content-filter chunk: one more before the words.
    midStream: { scenario: "drop-after-4", reason: OPENAI_DROP.reason },
  },
  {
    name: "gemini",
    model: "gemini-2.5-flash",
    binding: (root) => ({ type: "gemini", base_url: `${root}/v1beta/openai` }),
    path: () => "/v1beta/openai/chat/completions",
    auth: { authorization: BEARER },
    neverSent: [],
    usage: OPENAI_USAGE,
    retryable: [{ scenario: "status-503" }],
    midStream: OPENAI_DROP,
  },
  {
    name: "anthropic",
    model: "claude-test",
    binding: (root) => ({ type: "anthropic", base_url: root }),
    path: () => "/v1/messages",
    auth: { "x-api-key": PROVIDER_KEY, "anthropic-version": "2023-06-01" },
    neverSent: [],
    usage: {
      input:
        FAKE_ANTHROPIC_USAGE.input_tokens +
        FAKE_ANTHROPIC_USAGE.cache_read_input_tokens +
        FAKE_ANTHROPIC_USAGE.cache_creation_input_tokens,
      output: FAKE_ANTHROPIC_USAGE.output_tokens,
      cacheRead: FAKE_ANTHROPIC_USAGE.cache_read_input_tokens,
      cacheWrite: FAKE_ANTHROPIC_USAGE.cache_creation_input_tokens,
    },
    retryable: [{ scenario: "status-529" }],
    // message_start, content_block_start, ping, then one text delta per word.
    midStream: { scenario: "drop-after-7", reason: /stream broke after \d+ chunks/ },
  },
  {
    name: "bedrock",
    model: BEDROCK_MODEL,
    binding: (root) => ({
      type: "bedrock",
      base_url: root,
      settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
    }),
    path: (stream) => `${BEDROCK_PATH}/${stream ? "converse-stream" : "converse"}`,
    auth: {
      authorization: new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${FAKE_AWS_ACCESS_KEY_ID}/\\d{8}/eu-west-3/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`,
      ),
      "x-amz-date": /^\d{8}T\d{6}Z$/,
    },
    // SigV4 signs with the secret access key; it never travels.
    neverSent: [FAKE_AWS_SECRET_ACCESS_KEY],
    usage: {
      input:
        FAKE_BEDROCK_USAGE.inputTokens +
        FAKE_BEDROCK_USAGE.cacheReadInputTokens +
        FAKE_BEDROCK_USAGE.cacheWriteInputTokens,
      output: FAKE_BEDROCK_USAGE.outputTokens,
      cacheRead: FAKE_BEDROCK_USAGE.cacheReadInputTokens,
      cacheWrite: FAKE_BEDROCK_USAGE.cacheWriteInputTokens,
    },
    // A ThrottlingException, and a throttlingException that opens the event stream.
    retryable: [{ scenario: "status-429" }, { scenario: "exception-after-0", streamOnly: true }],
    midStream: { scenario: "exception-after-3", reason: /throttlingException/ },
  },
];

const bindingName = (family: SdkFamily, scenario: string) => (scenario ? `${family.name}-${scenario}` : family.name);

const stack = useStack("e2e-provider-sdk", PROVIDER_KEY, (root) => {
  const providers: Record<string, unknown>[] = [];
  const keys: { name: string; config: Record<string, unknown> }[] = [];
  for (const f of FAMILIES) {
    const scenarios = ["", ...f.retryable.map((r) => r.scenario), f.midStream.scenario];
    for (const s of scenarios) {
      providers.push({ name: bindingName(f, s), api_key_secret: FAKE_KEY_SECRET, ...f.binding(root(s)) });
    }
    keys.push({ name: f.name, config: { providers: [f.name] } });
    for (const r of f.retryable) {
      keys.push({ name: bindingName(f, r.scenario), config: { providers: [bindingName(f, r.scenario), f.name] } });
    }
    keys.push({
      name: bindingName(f, f.midStream.scenario),
      config: { providers: [bindingName(f, f.midStream.scenario), f.name] },
    });
  }
  return { project: "e2e-provider-sdk", providers, keys };
});

/** What the fake received in this test went to `paths`, with the family's auth and no secret it must not see. */
async function expectWire(family: SdkFamily, key: string, paths: string[]): Promise<RecordedRequest[]> {
  const requests = await stack.fakeRequests();
  expect(requests.map((r) => r.path)).toEqual(paths);
  for (const r of requests) {
    for (const [name, value] of Object.entries(family.auth)) {
      if (typeof value === "string") expect(r.headers[name], name).toBe(value);
      else expect(r.headers[name], name).toMatch(value);
    }
  }
  const wire = JSON.stringify(requests);
  for (const secret of [stack.secret(key), ...family.neverSent]) expect(wire).not.toContain(secret);
  return requests;
}

function expectHeaders(headers: Headers, family: SdkFamily, binding: string, fallbacks: number): void {
  expect(headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  expect(headers.get("x-langwatch-trace-id")).toBe(TRACE_ID);
  expect(headers.get("x-langwatch-provider")).toBe(binding);
  expect(headers.get("x-langwatch-model")).toBe(family.model);
  expect(headers.get("x-langwatch-fallback-count")).toBe(String(fallbacks));
}

/** The partial text of a broken stream: over a real socket the piece written just before the break may not arrive. */
function expectPartial(text: string): void {
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThan(REPLY.length);
  expect(REPLY.startsWith(text)).toBe(true);
}

const trace = { headers: { traceparent: TRACEPARENT } };

describe.each(FAMILIES)("$name", (family) => {
  describe("the openai client", () => {
    const openai = (key: string) => openaiClient(stack, key);
    const usage = {
      prompt_tokens: family.usage.input,
      completion_tokens: family.usage.output,
      total_tokens: family.usage.input + family.usage.output,
      prompt_tokens_details: { cached_tokens: family.usage.cacheRead },
    };

    it("a whole answer: the text, its usage, the contract's headers; the provider's auth on the wire", async () => {
      const { data, response } = await openai(family.name)
        .chat.completions.create({ model: family.model, messages: hello }, trace)
        .withResponse();
      expect(data.object).toBe("chat.completion");
      expect(data.model).toBe(family.model);
      expect(data.choices[0]?.message.content).toBe(REPLY);
      expect(data.choices[0]?.finish_reason).toBe("stop");
      expect(data.usage).toMatchObject(usage);
      expectHeaders(response.headers, family, family.name, 0);
      await expectWire(family, family.name, [family.path(false)]);
    });

    it("a stream: content chunks, one finish reason, the usage chunk last", async () => {
      const { data: stream, response } = await openai(family.name)
        .chat.completions.create(
          { model: family.model, messages: hello, stream: true, stream_options: { include_usage: true } },
          trace,
        )
        .withResponse();
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      expectHeaders(response.headers, family, family.name, 0);
      const { chunks, error } = await collect(stream);
      expect(error).toBeNull();
      expect(contentOf(chunks)).toBe(REPLY);
      expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
      expect(chunks.at(-1)?.choices).toEqual([]);
      expect(chunks.at(-1)?.usage).toMatchObject(usage);
      await expectWire(family, family.name, [family.path(true)]);
    });

    it.each(family.retryable)("$scenario: the next binding serves", async ({ scenario, streamOnly }) => {
      const key = bindingName(family, scenario);
      const body = { model: family.model, messages: hello };
      const { data: text, response } = streamOnly
        ? await openai(key)
            .chat.completions.create({ ...body, stream: true }, trace)
            .withResponse()
            .then(async ({ data, response }) => ({ data: contentOf((await collect(data)).chunks), response }))
        : await openai(key)
            .chat.completions.create(body, trace)
            .withResponse()
            .then(({ data, response }) => ({ data: data.choices[0]?.message.content, response }));
      expect(text).toBe(REPLY);
      expectHeaders(response.headers, family, family.name, 1);
      const requests = await expectWire(family, key, [
        family.path(streamOnly === true),
        family.path(streamOnly === true),
      ]);
      expect(requests.map((r) => r.scenario)).toEqual([scenario, "ok"]);
    });

    it("a stream that breaks midway: the partial text, then the SDK raises the gateway's terminal error", async () => {
      const key = bindingName(family, family.midStream.scenario);
      const stream = await openai(key).chat.completions.create({ model: family.model, messages: hello, stream: true });
      const { chunks, error } = await collect(stream);
      expectPartial(contentOf(chunks));
      expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual([]);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
      expect((error as Error).message).toMatch(family.midStream.reason);
      // Content already reached the client: no fallback to the healthy binding.
      expect((await stack.fakeRequests()).map((r) => r.scenario)).toEqual([family.midStream.scenario]);
    });
  });

  describe("@anthropic-ai/sdk", () => {
    const anthropic = (key: string) => anthropicClient(stack, key);
    const usage = {
      input_tokens: family.usage.input - family.usage.cacheRead - family.usage.cacheWrite,
      output_tokens: family.usage.output,
      cache_read_input_tokens: family.usage.cacheRead,
      cache_creation_input_tokens: family.usage.cacheWrite,
    };

    it("a whole answer: the text, its usage, the contract's headers; the provider's auth on the wire", async () => {
      const { data, response } = await anthropic(family.name)
        .messages.create({ model: family.model, max_tokens: 64, messages: hello }, trace)
        .withResponse();
      expect(data.type).toBe("message");
      expect(data.content).toEqual([{ type: "text", text: REPLY }]);
      expect(data.stop_reason).toBe("end_turn");
      expect(data.usage).toMatchObject(usage);
      expectHeaders(response.headers, family, family.name, 0);
      await expectWire(family, family.name, [family.path(false)]);
    });

    it("a stream: the SDK's text events and final message, with the usage", async () => {
      const { data: stream, response } = await anthropic(family.name)
        .messages.stream({ model: family.model, max_tokens: 64, messages: hello }, trace)
        .withResponse();
      expectHeaders(response.headers, family, family.name, 0);
      const texts: string[] = [];
      stream.on("text", (t) => texts.push(t));
      const final = await stream.finalMessage();
      expect(texts.join("")).toBe(REPLY);
      expect(final.content).toEqual([{ type: "text", text: REPLY }]);
      expect(final.stop_reason).toBe("end_turn");
      expect(final.usage).toMatchObject(usage);
      await expectWire(family, family.name, [family.path(true)]);
    });

    it.each(family.retryable)("$scenario: the next binding serves", async ({ scenario, streamOnly }) => {
      const key = bindingName(family, scenario);
      const body = { model: family.model, max_tokens: 64, messages: hello };
      const { message, response } = streamOnly
        ? await anthropic(key)
            .messages.stream(body, trace)
            .withResponse()
            .then(async ({ data, response }) => ({ message: await data.finalMessage(), response }))
        : await anthropic(key)
            .messages.create(body, trace)
            .withResponse()
            .then(({ data, response }) => ({ message: data, response }));
      expect(message.content).toEqual([{ type: "text", text: REPLY }]);
      expectHeaders(response.headers, family, family.name, 1);
      const requests = await expectWire(family, key, [
        family.path(streamOnly === true),
        family.path(streamOnly === true),
      ]);
      expect(requests.map((r) => r.scenario)).toEqual([scenario, "ok"]);
    });

    it("a stream that breaks midway: the partial text, then finalMessage rejects with the gateway's error", async () => {
      const key = bindingName(family, family.midStream.scenario);
      const stream = anthropic(key).messages.stream({ model: family.model, max_tokens: 64, messages: hello });
      const texts: string[] = [];
      stream.on("text", (t) => texts.push(t));
      const error: unknown = await stream.finalMessage().then(
        (message) => new Error(`expected the stream to fail, got ${JSON.stringify(message)}`),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        type: "error",
        error: { type: "provider_error", code: "upstream_mid_stream_failure" },
      });
      expect((error as Error).message).toMatch(family.midStream.reason);
      expectPartial(texts.join(""));
      expect((await stack.fakeRequests()).map((r) => r.scenario)).toEqual([family.midStream.scenario]);
    });
  });
});
