import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ChatFormat } from "../../src/contract/wire";
import { PROVIDERS, type ProviderType } from "../../src/providers/registry";
import { FAKE_REPLY_WORDS } from "../fake-provider/openai";
import type { RecordedRequest } from "../fake-provider/worker";
import { fakeAI, type FakeAICall, type FakeAIOptions, type FakeAIShape } from "../fake-provider/workers-ai";
import { createProvider, uniqueName } from "./admin";
import { fakeRoot, recorded } from "./fake-upstream";
import { fetchWithEnv, GATEWAY, type SseEvent } from "./gateway";
import type { PriceOverride } from "./limits";
import { seedKey } from "./seed";

/**
 * The provider-family conformance suite's vocabulary (test/integration/provider-conformance.test.ts):
 * the two client APIs every family must serve, one row type describing a family as its fake plays
 * it, and the plumbing that sends a client's request to a chain of the family's fake bindings and
 * reads what each fake received, whatever its transport (HTTP or the Workers AI binding).
 */

export const REPLY = FAKE_REPLY_WORDS.join(" ");

// --- the clients ------------------------------------------------------------------------------

/** Token counts as the ledger records them: `input` is every prompt token, cache reads and writes included. */
export interface LedgerUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** An error as a client reads it from the gateway's envelope (or its terminal stream frame). */
export interface SeenError {
  type: string;
  code: string | null;
  message: string;
}

/** One client API, as the official SDK of its format would speak it. */
export interface ConformanceClient {
  name: string;
  format: ChatFormat;
  path: string;
  /** Whether a stream reports usage only when the client asks (OpenAI's `stream_options.include_usage`). */
  usageOnRequest: boolean;
  /**
   * A one-message request for `model` with `max_tokens` 64 and `temperature` 0.5 (which every family
   * must carry to its provider); `includeUsage`: ask for the usage in the stream, where that is asked.
   */
  body(model: string, stream: boolean, includeUsage?: boolean): Record<string, unknown>;
  headers(secret: string): Record<string, string>;
  /** Checks a whole answer: the REPLY text from `model`, finished normally. */
  expectAnswer(json: unknown, model: string): void;
  /** Checks a stream that ended normally: the REPLY text, one normal finish, the format's end last. */
  expectCompleteStream(events: SseEvent[], usageAsked: boolean): void;
  /** The assistant text a stream carried. */
  streamText(events: SseEvent[]): string;
  /** The usage a whole answer reports. */
  usage(json: unknown): unknown;
  /** The usage a stream reports (null: none). */
  streamUsage(events: SseEvent[]): unknown;
  /** What `usage` and `streamUsage` must hold for these ledger counts. */
  expectedUsage(u: LedgerUsage): Record<string, unknown>;
  /** The error of a gateway error answer, after checking the envelope has exactly the contract's fields. */
  error(text: string): SeenError;
  /**
   * The frame that ended a failed stream, after checking it is the stream's only error event, its
   * last event, and that the stream did not also claim to have finished.
   */
  terminalFrame(events: SseEvent[]): SeenError;
}

const HI = [{ role: "user", content: "hi" }];

/** Sampling parameters both APIs share, which every family must pass on (in its provider's words). */
export const MAX_TOKENS = 64;
export const TEMPERATURE = 0.5;

const json = (data: string): Record<string, unknown> => JSON.parse(data) as Record<string, unknown>;

interface ChatChunk {
  object?: string;
  choices: { delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[];
  usage?: unknown;
}

const chunksOf = (events: SseEvent[]): ChatChunk[] =>
  events.filter((e) => e.event === null && e.data !== "[DONE]").map((e) => JSON.parse(e.data) as ChatChunk);

const hasUsage = (c: ChatChunk): boolean => c.usage !== undefined && c.usage !== null;

const keysOf = (v: unknown): string[] => Object.keys(v as object).sort();

const openAIStreamText = (events: SseEvent[]): string =>
  chunksOf(events.filter((e) => e.event === null))
    .map((c) => c.choices[0]?.delta?.content ?? "")
    .join("");

const anthropicStreamText = (events: SseEvent[]): string =>
  events
    .filter((e) => e.event === "content_block_delta")
    .map((e) => (json(e.data) as { delta: { text?: string } }).delta.text ?? "")
    .join("");

/** The one error event a failed stream ends with; the stream must not also have claimed to finish. */
function lastErrorEvent(events: SseEvent[], finished: (e: SseEvent) => boolean): Record<string, unknown> {
  const errors = events.filter((e) => e.event === "error");
  expect(errors).toHaveLength(1);
  expect(events.at(-1)).toBe(errors[0]);
  expect(events.filter(finished)).toEqual([]);
  return json(errors[0]?.data ?? "{}");
}

export const OPENAI_CLIENT: ConformanceClient = {
  name: "OpenAI client",
  format: "openai-chat",
  path: "/v1/chat/completions",
  usageOnRequest: true,
  body: (model, stream, includeUsage = false) => ({
    model,
    messages: HI,
    max_tokens: MAX_TOKENS,
    temperature: TEMPERATURE,
    ...(stream ? { stream: true } : {}),
    ...(stream && includeUsage ? { stream_options: { include_usage: true } } : {}),
  }),
  headers: (secret) => ({ authorization: `Bearer ${secret}` }),
  expectAnswer(answer, model) {
    expect(answer).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/) as string,
      object: "chat.completion",
      model,
      choices: [{ index: 0, message: { role: "assistant", content: REPLY }, finish_reason: "stop" }],
    });
  },
  expectCompleteStream(events, usageAsked) {
    expect(events.filter((e) => e.event !== null)).toEqual([]);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(openAIStreamText(events)).toBe(REPLY);
    // Chunks without choices: the usage chunk, and what a provider adds (Azure's content-filter results).
    const chunks = chunksOf(events).filter((c) => c.choices.length > 0);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0]?.delta?.role).toBe("assistant");
    expect(chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter(Boolean)).toEqual(["stop"]);
    if (!usageAsked) expect(chunksOf(events).filter(hasUsage)).toEqual([]);
  },
  streamText: openAIStreamText,
  usage: (answer) => (answer as { usage?: unknown }).usage,
  /** The usage chunk: at most one, without choices, the last before [DONE], as OpenAI sends it. */
  streamUsage(events) {
    const chunks = chunksOf(events);
    const withUsage = chunks.filter(hasUsage);
    expect(withUsage.length).toBeLessThanOrEqual(1);
    if (withUsage[0] === undefined) return null;
    expect(withUsage[0].choices).toEqual([]);
    expect(chunks.at(-1)).toBe(withUsage[0]);
    return withUsage[0].usage;
  },
  expectedUsage: (u) => ({
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    ...(u.cacheRead > 0 ? { prompt_tokens_details: { cached_tokens: u.cacheRead } } : {}),
  }),
  error(text) {
    const body = json(text) as { error?: unknown };
    expect(keysOf(body)).toEqual(["error"]);
    expect(keysOf(body.error)).toEqual(["code", "message", "param", "type"]);
    return body.error as SeenError;
  },
  terminalFrame(events) {
    const frame = lastErrorEvent(events, (e) => e.data === "[DONE]");
    // Nothing before it claims the answer finished.
    expect(
      chunksOf(events)
        .flatMap((c) => c.choices.map((x) => x.finish_reason))
        .filter(Boolean),
    ).toEqual([]);
    expect(Object.keys(frame)).toEqual(["error"]);
    return frame.error as SeenError;
  },
};

type AnthropicUsage = Record<string, unknown>;

export const ANTHROPIC_CLIENT: ConformanceClient = {
  name: "Anthropic client",
  format: "anthropic-messages",
  path: "/v1/messages",
  usageOnRequest: false,
  body: (model, stream) => ({
    model,
    max_tokens: MAX_TOKENS,
    temperature: TEMPERATURE,
    messages: HI,
    ...(stream ? { stream: true } : {}),
  }),
  headers: (secret) => ({ "x-api-key": secret, "anthropic-version": "2023-06-01" }),
  expectAnswer(answer, model) {
    expect(answer).toMatchObject({
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: REPLY }],
      stop_reason: "end_turn",
    });
  },
  expectCompleteStream(events) {
    expect(events.every((e) => e.event === (json(e.data).type as string))).toBe(true);
    expect(events[0]?.event).toBe("message_start");
    expect(events.at(-1)?.event).toBe("message_stop");
    // One message only: nothing of a binding that failed before it leaks into the stream.
    expect(events.filter((e) => e.event === "message_start")).toHaveLength(1);
    expect(events.filter((e) => e.event === "message_stop")).toHaveLength(1);
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    expect(anthropicStreamText(events)).toBe(REPLY);
    const deltas = events.filter((e) => e.event === "message_delta").map((e) => json(e.data).delta);
    expect(deltas).toMatchObject([{ stop_reason: "end_turn" }]);
  },
  streamText: anthropicStreamText,
  usage: (answer) => (answer as { usage?: unknown }).usage,
  /** As the SDK accumulates it: message_start's usage, overwritten field by field by message_delta's. */
  streamUsage(events) {
    const start = events.find((e) => e.event === "message_start");
    const delta = events.find((e) => e.event === "message_delta");
    if (!start || !delta) return null;
    const first = (json(start.data) as { message: { usage: AnthropicUsage } }).message.usage;
    const last = (json(delta.data) as { usage: AnthropicUsage }).usage;
    const merged: AnthropicUsage = { ...first };
    for (const [k, v] of Object.entries(last)) if (v !== null) merged[k] = v;
    return merged;
  },
  expectedUsage: (u) => ({
    input_tokens: u.input - u.cacheRead - u.cacheWrite,
    output_tokens: u.output,
    cache_read_input_tokens: u.cacheRead,
    cache_creation_input_tokens: u.cacheWrite,
  }),
  error(text) {
    const body = json(text) as { type?: unknown; error?: unknown };
    expect(keysOf(body)).toEqual(["error", "type"]);
    expect(body.type).toBe("error");
    expect(keysOf(body.error)).toEqual(["code", "message", "type"]);
    return body.error as SeenError;
  },
  terminalFrame(events) {
    // Nothing before it claims the answer finished: no stop reason, no message_stop.
    const frame = lastErrorEvent(events, (e) => e.event === "message_stop" || e.event === "message_delta");
    expect(keysOf(frame)).toEqual(["error", "type"]);
    expect(frame.type).toBe("error");
    return frame.error as SeenError;
  },
};

export const CLIENTS = [OPENAI_CLIENT, ANTHROPIC_CLIENT];

// --- the families -----------------------------------------------------------------------------

/** One call a fake provider received. */
export interface UpstreamCall {
  /** The fake's scenario ("ok": healthy). */
  scenario: string;
  /** `POST <path below the fake's root>`, or `<Worker binding>.run` for Workers AI. */
  target: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The model the provider was asked for: the body's, Bedrock's path's, the binding's `run` argument. */
  model: string | null;
  /** The JSON body (Workers AI: `run`'s inputs). */
  body: Record<string, unknown>;
  /** Whether the gateway gave up on the call (aborted it, or cancelled the stream it was reading). */
  aborted: boolean;
}

/** A key whose fallback chain is one fresh binding of the family per scenario, and what those bindings received. */
export interface Chain {
  key: { secret: string; id: string };
  /** The binding names, in chain order. */
  bindings: string[];
  /** The Worker env entries the bindings need (Workers AI's fake AI bindings); merged into the request's env. */
  env: Record<string, unknown>;
  /** The calls the chain's bindings received, in order. */
  calls(): UpstreamCall[];
}

export interface ChainOptions {
  /** Price overrides set on every binding. */
  prices?: Record<string, PriceOverride>;
  fallback?: { max_attempts: number; attempt_timeout_ms: number };
}

export const DEFAULT_FALLBACK = { max_attempts: 3, attempt_timeout_ms: 1_000 };

/** What the request a binding received must look like. */
export interface Wire {
  target: string;
  query: Record<string, string>;
  /** Headers it must carry, exactly or matching. */
  headers: Record<string, string | RegExp>;
  /** Headers it must not carry (other providers' ways of sending a key). */
  absentHeaders: string[];
  /** What its body must hold (toMatchObject), and keys it must not have. */
  body: Record<string, unknown>;
  absentFromBody: string[];
}

/** A provider error the gateway must not retry elsewhere. */
export interface FinalCase {
  scenario: string;
  status: number;
  /** The body a client speaking the family's format gets: the provider's own, or the family's translation of it. */
  body: unknown;
  /** What a client of the other format reads in the gateway's envelope instead. */
  translated: { type: string; code: string | null; message: string | RegExp };
}

/** A provider failure the gateway must try the next binding after. */
export interface RetryableCase {
  scenario: string;
  /** What the gateway's 502 says of the attempt, e.g. "HTTP 503". */
  attempt: string;
  /** Only a streamed request fails this way (the stream opens with an error); a whole answer is fine. */
  streamOnly?: boolean;
}

/** A stream that breaks after content reached the client. */
export interface MidStreamCase {
  scenario: string;
  /** The text the client got before the break. */
  partial: string;
  /** What the terminal frame says happened. */
  reason: RegExp;
}

/**
 * One row of the conformance table: a binding type as its fake plays it. The scenario names are the
 * fake's (test/fake-provider/worker.ts; "ok" is healthy); a family whose fake is not HTTP maps them
 * to its own failure knobs.
 */
export interface ConformanceFamily {
  name: string;
  type: ProviderType;
  model: string;
  chain(scenarios: string[], options?: ChainOptions): Promise<Chain>;
  /** The request a healthy binding must receive for the client's one-message request. */
  wire(stream: boolean): Wire;
  /** What every healthy answer of the fake reports, as the ledger must record it. */
  usage: LedgerUsage;
  final: FinalCase[];
  retryable: RetryableCase[];
  midStream: MidStreamCase[];
  /** The scenario in which the provider never answers. */
  hang: string;
  /** A scenario whose stream is slow enough for the client to leave in the middle. */
  slowStream: string;
  /** A scenario whose stream arrives in pieces that cut its events and lines; null: the transport has none. */
  splitStream: string | null;
}

/** The client format the family speaks: an answer in it reaches a client of that format as the family returned it. */
export const formatOf = (family: ConformanceFamily): ChatFormat => PROVIDERS[family.type].family.format;

/** A key (in a project of its own) whose fallback chain is `bindings`; written straight to D1, the admin API's key checks are not under test here. */
const chainKey = (bindings: string[], options: ChainOptions) =>
  seedKey({ config: { providers: bindings, fallback: options.fallback ?? DEFAULT_FALLBACK } });

const bodyModel = (r: RecordedRequest): string | null => {
  const model = (r.body as { model?: unknown } | null)?.model;
  return typeof model === "string" ? model : null;
};

/**
 * The chain of an HTTP family: each binding created through the admin API with `fields(root)`,
 * where `root` is the fake provider's root for its scenario, and the FAKE_OPENAI_KEY Worker secret
 * as its key unless `fields` says otherwise.
 */
export function httpChain(
  type: ProviderType,
  fields: (root: string) => Record<string, unknown>,
  modelOf: (r: RecordedRequest) => string | null = bodyModel,
): ConformanceFamily["chain"] {
  return async (scenarios, options = {}) => {
    const providers = await Promise.all(
      scenarios.map((scenario) =>
        createProvider({
          name: uniqueName(type),
          type,
          api_key_secret: "FAKE_OPENAI_KEY",
          ...fields(fakeRoot(scenario === "ok" ? undefined : scenario)),
          ...(options.prices ? { prices: options.prices } : {}),
        }),
      ),
    );
    const bindings = providers.map((p) => p.name);
    const key = await chainKey(bindings, options);
    return {
      key,
      bindings,
      env: {},
      calls: () =>
        recorded.map((r) => ({
          scenario: r.scenario,
          target: `${r.method} ${r.path}`,
          query: r.query,
          headers: r.headers,
          model: modelOf(r),
          body: (r.body ?? {}) as Record<string, unknown>,
          aborted: r.aborted,
        })),
    };
  };
}

/** The Worker binding the `i`th Workers AI binding of a chain calls. */
export const aiBindingName = (i: number): string => `AI_CONFORMANCE_${i}`;

/**
 * The chain of the Workers AI family: each binding calls its own fake AI binding (`aiBindingName(i)`,
 * added to the request's env) answering in `shape`, failing as `scenarios[name]` says.
 */
export function workersAIChain(
  shape: FakeAIShape,
  scenarios: Record<string, FakeAIOptions>,
): ConformanceFamily["chain"] {
  return async (names, options = {}) => {
    const order: { scenario: string; target: string; call: FakeAICall }[] = [];
    const env: Record<string, unknown> = {};
    for (const [i, scenario] of names.entries()) {
      const opts = scenarios[scenario];
      if (!opts) throw new Error(`the Workers AI conformance row has no scenario ${scenario}`);
      const ai = fakeAI({ shape, ...opts });
      const target = `${aiBindingName(i)}.run`;
      env[aiBindingName(i)] = {
        run(model: string, inputs: Record<string, unknown>, o?: { signal?: AbortSignal }) {
          const answer = ai.binding.run(model, inputs, o);
          const call = ai.calls.at(-1);
          if (call) order.push({ scenario, target, call });
          return answer;
        },
      };
    }
    const providers = await Promise.all(
      names.map((_, i) =>
        createProvider({
          name: uniqueName("workers-ai"),
          type: "workers-ai",
          base_url: null,
          api_key_secret: null,
          settings: { binding: aiBindingName(i) },
          ...(options.prices ? { prices: options.prices } : {}),
        }),
      ),
    );
    const bindings = providers.map((p) => p.name);
    const key = await chainKey(bindings, options);
    return {
      key,
      bindings,
      env,
      calls: () =>
        order.map(({ scenario, target, call }) => ({
          scenario,
          target,
          query: {},
          headers: {},
          model: call.model,
          body: call.inputs,
          aborted: call.signal?.aborted === true || call.cancelled,
        })),
    };
  };
}

// --- sending and checking ---------------------------------------------------------------------

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

function clientRequest(client: ConformanceClient, chain: Chain, body: unknown): Request {
  return new Request(`${GATEWAY}${client.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...client.headers(chain.key.secret) },
    body: JSON.stringify(body),
  });
}

/**
 * Sends the client's request through the Worker's fetch entry point (the runtime's own plumbing),
 * or, when the chain needs env entries of its own (Workers AI's fake bindings), through the app
 * with them. Returns the response as soon as its head arrives.
 */
export function send(client: ConformanceClient, chain: Chain, body: unknown): Promise<Response> {
  const request = clientRequest(client, chain, body);
  if (Object.keys(chain.env).length === 0) return exports.default.fetch(request);
  return fetchWithEnv(request, chain.env).then((r) => r.response);
}

/** Sends and reads the whole reply (its settlement left to run: see `callSettled`). */
export async function call(client: ConformanceClient, chain: Chain, body: unknown): Promise<Reply> {
  const response = await send(client, chain, body);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * Sends through the app with the chain's env, reads the whole reply, then waits for its settlement
 * (which batches for SETTLE_WINDOW_MS): for checks of the ledger.
 */
export async function callSettled(client: ConformanceClient, chain: Chain, body: unknown): Promise<Reply> {
  const { response, settled } = await fetchWithEnv(clientRequest(client, chain, body), chain.env);
  const text = await response.text();
  await settled();
  return { status: response.status, headers: response.headers, text };
}

/** Checks a call a binding received against the family's wire description; the virtual key never goes upstream. */
export function expectWire(call: UpstreamCall | undefined, wire: Wire, model: string, secret: string): void {
  expect(call?.target).toBe(wire.target);
  expect(call?.model).toBe(model);
  expect(call?.query).toEqual(wire.query);
  for (const [name, value] of Object.entries(wire.headers)) {
    if (typeof value === "string") expect(call?.headers[name], `header ${name}`).toBe(value);
    else expect(call?.headers[name], `header ${name}`).toMatch(value);
  }
  for (const name of wire.absentHeaders) expect(call?.headers[name], `header ${name}`).toBeUndefined();
  expect(call?.body).toMatchObject(wire.body);
  for (const name of wire.absentFromBody) expect(call?.body, `body.${name}`).not.toHaveProperty(name);
  expect(JSON.stringify(call?.headers)).not.toContain(secret);
  expect(JSON.stringify(call?.body)).not.toContain(secret);
}

/** 1000 µUSD per uncached input token, 100 per cache read, 1250 per cache write, 2000 per output token. */
export const CONFORMANCE_PRICE: PriceOverride = {
  input_per_mtok: "1000",
  output_per_mtok: "2000",
  cache_read_per_mtok: "100",
  cache_write_per_mtok: "1250",
};

export const costOf = (u: LedgerUsage): number =>
  (u.input - u.cacheRead - u.cacheWrite) * 1000 + u.cacheRead * 100 + u.cacheWrite * 1250 + u.output * 2000;
