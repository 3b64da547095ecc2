import { expect } from "vitest";
import { AZURE_DEFAULT_API_VERSION } from "../../src/providers/openai-shaped/azure";
import { anthropicError } from "../fake-provider/anthropic";
import { azureError } from "../fake-provider/azure";
import {
  BEDROCK_PATH,
  FAKE_AWS_ACCESS_KEY_ID,
  FAKE_AWS_SECRET_ACCESS_KEY,
  FAKE_BEDROCK_API_KEY,
} from "../fake-provider/bedrock";
import { geminiError } from "../fake-provider/gemini";
import { openAIError } from "../fake-provider/openai";
import type { ProviderType } from "../../src/providers/registry";
import { workersAIError, type FakeAIOptions, type FakeAIShape } from "../fake-provider/workers-ai";
import {
  aiBindingName,
  httpChain,
  MAX_TOKENS,
  TEMPERATURE,
  workersAIChain,
  type ConformanceFamily,
  type FinalCase,
  type Wire,
} from "./conformance";
import { FAKE_PROVIDER_KEY } from "./fake-upstream";

/**
 * The rows of the provider-family conformance suite (test/integration/provider-conformance.test.ts):
 * every binding type of src/providers/registry.ts as its fake plays it, or in NOT_IN_TABLE with the
 * reason it needs no row. Adding a binding type means adding a row here.
 */

const OPENAI_USAGE = { input: 11, output: 7, cacheRead: 3, cacheWrite: 0 };
const BEARER = `Bearer ${FAKE_PROVIDER_KEY}`;

/** What every OpenAI-shaped provider fails with, as the generic fake plays it. */
const OPENAI_SHAPED_RETRYABLE = [
  { scenario: "status-429", attempt: "HTTP 429" },
  { scenario: "status-500", attempt: "HTTP 500" },
  { scenario: "status-503", attempt: "HTTP 503" },
  { scenario: "html-502", attempt: "HTTP 502 (HTML error page)" },
  { scenario: "text-200", attempt: "returned a body that is not JSON (HTTP 200)" },
];

const OPENAI_SHAPED_MID_STREAM = [
  {
    scenario: "drop-after-3",
    partial: "The fake",
    reason: /broke after 3 chunks \(fake provider dropped the connection\)/,
  },
  {
    scenario: "truncate-after-3",
    partial: "The fake",
    reason: /closed the stream after 3 chunks without finishing it/,
  },
];

/** A 4xx in an OpenAI-shaped provider's own error shape, and what a Messages client reads of it. */
const openAIShapedFinal = (
  status: number,
  body: unknown,
  translated: { code: string; message: string },
  more: Partial<FinalCase> = {},
): FinalCase => ({
  scenario: `status-${status}`,
  status,
  body,
  translated: { type: "invalid_request_error", ...translated },
  ...more,
});

interface OpenAIShapedRow {
  model: string;
  /** The binding's base_url at the fake's `root`. */
  baseUrl: (root: string) => string;
  path: (model: string) => string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  absentHeaders: string[];
  final: FinalCase[];
  midStream?: ConformanceFamily["midStream"];
}

/** A row for an OpenAI-shaped binding type: OpenAI's body and usage, the preset's URL and auth. */
function openAIShaped(type: ConformanceFamily["type"], row: OpenAIShapedRow): ConformanceFamily {
  return {
    name: type,
    type,
    model: row.model,
    chain: httpChain(type, (root) => ({ base_url: row.baseUrl(root) })),
    wire: (stream): Wire => ({
      target: `POST ${row.path(row.model)}`,
      query: row.query ?? {},
      headers: row.headers,
      absentHeaders: row.absentHeaders,
      body: {
        model: row.model,
        messages: [{ role: "user", content: "hi" }],
        max_tokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        // A stream asks for the usage chunk on the client's behalf.
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      },
      absentFromBody: stream ? [] : ["stream", "stream_options"],
    }),
    usage: OPENAI_USAGE,
    final: row.final,
    retryable: OPENAI_SHAPED_RETRYABLE,
    midStream: row.midStream ?? OPENAI_SHAPED_MID_STREAM,
    hang: "hang",
    slowStream: "slow-20",
    splitStream: "split",
  };
}

/** An OpenAI-shaped preset at the fake's OpenAI root, its key as a Bearer token. */
const preset = (type: ConformanceFamily["type"], model: string) =>
  openAIShaped(type, {
    model,
    baseUrl: (root) => `${root}/v1`,
    path: () => "/v1/chat/completions",
    headers: { authorization: BEARER },
    absentHeaders: ["api-key", "x-api-key"],
    final: [
      // OpenAI's `code` (null here) or else its `type` becomes the Messages error's `code`.
      openAIShapedFinal(400, openAIError(400), {
        code: "invalid_request_error",
        message: "Fake provider error with status 400",
      }),
      openAIShapedFinal(422, openAIError(422), {
        code: "invalid_request_error",
        message: "Fake provider error with status 422",
      }),
    ],
  });

const BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
const BEDROCK_MODEL_PATH = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0";
const SIGV4 = new RegExp(
  `^AWS4-HMAC-SHA256 Credential=${FAKE_AWS_ACCESS_KEY_ID}/\\d{8}/eu-west-3/bedrock/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$`,
);

/** A Bedrock row: the Converse API signed with SigV4, or sent a Bedrock API key as a Bearer token. */
function bedrock(auth: "sigv4" | "api-key"): ConformanceFamily {
  const bindingAuth =
    auth === "sigv4"
      ? {
          api_key: FAKE_AWS_SECRET_ACCESS_KEY,
          settings: { region: "eu-west-3", access_key_id: FAKE_AWS_ACCESS_KEY_ID },
        }
      : { api_key: FAKE_BEDROCK_API_KEY, settings: { region: "eu-west-3" } };
  const converseFinal = (status: number, type: string, code: string): FinalCase => ({
    scenario: `status-${status}`,
    status,
    body: { error: { type, code, message: `Fake Bedrock error with status ${status}`, param: null } },
    translated: { type, code, message: `Fake Bedrock error with status ${status}` },
  });
  return {
    name: `bedrock (${auth === "sigv4" ? "SigV4" : "Bedrock API key"})`,
    type: "bedrock",
    model: BEDROCK_MODEL,
    chain: httpChain(
      "bedrock",
      (root) => ({ base_url: root, api_key_secret: null, ...bindingAuth }),
      (r) => {
        const id = BEDROCK_PATH.exec(r.path)?.[1];
        return id === undefined ? null : decodeURIComponent(id);
      },
    ),
    wire: (stream) => ({
      target: `POST ${BEDROCK_MODEL_PATH}/${stream ? "converse-stream" : "converse"}`,
      query: {},
      headers: {
        accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
        "content-type": "application/json",
        ...(auth === "sigv4"
          ? { authorization: SIGV4, "x-amz-date": /^\d{8}T\d{6}Z$/ }
          : { authorization: `Bearer ${FAKE_BEDROCK_API_KEY}` }),
      },
      absentHeaders: auth === "sigv4" ? ["api-key", "x-api-key"] : ["x-amz-date", "api-key", "x-api-key"],
      body: {
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        inferenceConfig: { maxTokens: MAX_TOKENS, temperature: TEMPERATURE },
      },
      // The model is in the path; Converse refuses any key it does not know (the fake checks).
      absentFromBody: ["model", "stream", "stream_options"],
    }),
    usage: { input: 19, output: 7, cacheRead: 3, cacheWrite: 5 },
    final: [
      converseFinal(400, "invalid_request_error", "ValidationException"),
      converseFinal(403, "permission_error", "AccessDeniedException"),
    ],
    retryable: [
      { scenario: "status-429", attempt: "HTTP 429" },
      { scenario: "status-500", attempt: "HTTP 500" },
      { scenario: "status-503", attempt: "HTTP 503" },
      { scenario: "status-408", attempt: "HTTP 408" },
      { scenario: "status-404", attempt: "HTTP 404" },
      { scenario: "html-502", attempt: "HTTP 502 (HTML error page)" },
      { scenario: "text-200", attempt: "returned a body that is not JSON (HTTP 200)" },
      // ConverseStream answers 200, then its first message is the exception.
      { scenario: "exception-after-0", attempt: "HTTP 429", streamOnly: true },
    ],
    midStream: [
      {
        scenario: "exception-after-3",
        partial: "The fake",
        reason: /broke after 3 chunks \(Bedrock reported throttlingException mid-stream: Too many tokens/,
      },
      {
        scenario: "drop-after-3",
        partial: "The fake",
        reason: /broke after 3 chunks \(fake provider dropped the connection\)/,
      },
      { scenario: "truncate-after-3", partial: "The fake", reason: /closed the stream before its messageStop event/ },
      { scenario: "cut-after-3", partial: "The fake", reason: /ended inside a message/ },
      { scenario: "corrupt-after-3", partial: "The fake", reason: /corrupt.*checksum/ },
    ],
    hang: "hang",
    slowStream: "slow-20",
    splitStream: "split",
  };
}

const WORKERS_AI_MODEL = "@cf/meta/llama-3.1-8b-instruct";

/** Workers AI's failures, as its binding throws them or breaks its stream. */
const WORKERS_AI_SCENARIOS: Record<string, FakeAIOptions> = {
  ok: {},
  hang: { hangs: true },
  "slow-20": { slowMs: 20 },
  "out-of-capacity": { throws: workersAIError("InferenceUpstreamError", "3040: Capacity temporarily exceeded") },
  "daily-allocation": { throws: workersAIError("AiError", "3036: You have used up your daily free allocation") },
  "upstream-error": { throws: workersAIError("InferenceUpstreamError", "upstream connect error") },
  "no-such-model": { throws: new Error("5007: No such model @cf/nope or task") },
  "timeout-code": { throws: { code: 3007, message: "Request timeout" } },
  "input-error": { throws: workersAIError("AiError", "5006: Error: oneOf at '/' not met") },
  "input-error-without-code": { throws: new Error("Bad input: max_tokens must be at most 2048") },
  "break-after-3": { breakAfter: 3 },
  "error-event-after-3": { errorEventAfter: 3 },
  "without-done": { withoutDone: true },
};

function workersAI(shape: FakeAIShape): ConformanceFamily {
  const inputError = (scenario: string, code: string | null, cause: string): FinalCase => {
    const message = expect.stringMatching(
      new RegExp(`Workers AI could not run ${WORKERS_AI_MODEL}.*${cause}`),
    ) as string;
    return {
      scenario,
      status: 400,
      body: { error: { type: "invalid_request_error", code, message, param: null } },
      // Without Workers AI's code, the OpenAI error's type is the Messages error's code.
      translated: { type: "invalid_request_error", code: code ?? "invalid_request_error", message: new RegExp(cause) },
    };
  };
  return {
    name: `workers-ai (${shape} output)`,
    type: "workers-ai",
    model: WORKERS_AI_MODEL,
    chain: workersAIChain(shape, WORKERS_AI_SCENARIOS),
    wire: (stream) => ({
      target: `${aiBindingName(0)}.run`,
      query: {},
      headers: {},
      absentHeaders: [],
      body: {
        messages: [{ role: "user", content: "hi" }],
        max_tokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        ...(stream ? { stream: true } : {}),
      },
      absentFromBody: stream ? ["model", "stream_options"] : ["model", "stream", "stream_options"],
    }),
    usage: { input: 17, output: 9, cacheRead: 0, cacheWrite: 0 },
    final: [
      inputError("input-error", "workers_ai_5006", "oneOf at '/' not met"),
      inputError("input-error-without-code", null, "max_tokens must be at most 2048"),
    ],
    retryable: [
      { scenario: "out-of-capacity", attempt: "HTTP 429" },
      { scenario: "daily-allocation", attempt: "HTTP 429" },
      { scenario: "upstream-error", attempt: "HTTP 502" },
      { scenario: "no-such-model", attempt: "HTTP 404" },
      { scenario: "timeout-code", attempt: "HTTP 408" },
    ],
    midStream: [
      {
        scenario: "break-after-3",
        partial: shape === "native" ? "The fake provider" : "The fake",
        reason: /stream broke after \d+ chunks \(fake Workers AI stream broke\)/,
      },
      {
        scenario: "error-event-after-3",
        partial: shape === "native" ? "The fake provider" : "The fake",
        reason: /an error report: 3040: Capacity temporarily exceeded/,
      },
      // An OpenAI-shaped output that gave its finish reason ends normally without [DONE].
      ...(shape === "native"
        ? [
            {
              scenario: "without-done",
              partial: "The fake provider says hello to you.",
              reason: /closed the stream after \d+ chunks without finishing it/,
            },
          ]
        : []),
    ],
    hang: "hang",
    slowStream: "slow-20",
    // The binding hands over a stream object, not bytes off a socket.
    splitStream: null,
  };
}

/** The table: one row per binding type (or way of calling it), as its fake plays it. */
export const FAMILIES: ConformanceFamily[] = [
  preset("openai", "gpt-4o-mini"),
  preset("openai-compatible", "gpt-4o-mini"),
  openAIShaped("azure", {
    model: "gpt-4o-mini",
    baseUrl: (root) => root,
    path: (model) => `/openai/deployments/${model}/chat/completions`,
    query: { "api-version": AZURE_DEFAULT_API_VERSION },
    headers: { "api-key": FAKE_PROVIDER_KEY },
    absentHeaders: ["authorization", "x-api-key"],
    final: [
      openAIShapedFinal(400, azureError(400), { code: "400", message: "Fake Azure OpenAI error with status 400" }),
    ],
    // Azure's stream opens with a content-filter chunk before the role chunk.
    midStream: [
      {
        scenario: "drop-after-3",
        partial: "The",
        reason: /broke after 3 chunks \(fake provider dropped the connection\)/,
      },
      { scenario: "truncate-after-3", partial: "The", reason: /closed the stream after 3 chunks without finishing it/ },
    ],
  }),
  openAIShaped("gemini", {
    model: "gemini-2.5-flash",
    baseUrl: (root) => `${root}/v1beta/openai`,
    path: () => "/v1beta/openai/chat/completions",
    headers: { authorization: BEARER },
    absentHeaders: ["api-key", "x-goog-api-key"],
    final: [openAIShapedFinal(400, geminiError(400), { code: "400", message: "Fake Gemini error with status 400" })],
  }),
  preset("groq", "llama-3.3-70b-versatile"),
  {
    name: "anthropic",
    type: "anthropic",
    model: "claude-test",
    chain: httpChain("anthropic", (root) => ({ base_url: root })),
    wire: (stream) => ({
      target: "POST /v1/messages",
      query: {},
      headers: { "x-api-key": FAKE_PROVIDER_KEY, "anthropic-version": "2023-06-01" },
      absentHeaders: ["authorization", "api-key"],
      body: {
        model: "claude-test",
        max_tokens: MAX_TOKENS,
        temperature: TEMPERATURE,
        ...(stream ? { stream: true } : {}),
      },
      absentFromBody: ["stream_options"],
    }),
    usage: { input: 19, output: 7, cacheRead: 3, cacheWrite: 5 },
    final: [
      {
        scenario: "status-400",
        status: 400,
        body: anthropicError(400),
        translated: {
          type: "invalid_request_error",
          code: "invalid_request_error",
          message: "Fake provider error with status 400",
        },
      },
    ],
    retryable: [
      { scenario: "status-429", attempt: "HTTP 429" },
      { scenario: "status-500", attempt: "HTTP 500" },
      { scenario: "status-503", attempt: "HTTP 503" },
      { scenario: "status-529", attempt: "HTTP 529" },
      { scenario: "html-502", attempt: "HTTP 502 (HTML error page)" },
      { scenario: "text-200", attempt: "returned a body that is not JSON (HTTP 200)" },
      // A stream that fails before any content: the client has seen nothing yet.
      {
        scenario: "error-first-529",
        attempt: "opened the stream with an error event (overloaded_error: Fake provider error with status 529)",
        streamOnly: true,
      },
      {
        scenario: "error-after-start-529",
        attempt: "opened the stream with an error event (overloaded_error: Fake provider error with status 529)",
        streamOnly: true,
      },
      { scenario: "drop-after-1", attempt: "network error: fake provider dropped the connection", streamOnly: true },
      { scenario: "truncate-after-1", attempt: "closed the stream before sending any content", streamOnly: true },
    ],
    midStream: [
      // message_start, content_block_start, ping, then one text delta per word.
      {
        scenario: "drop-after-5",
        partial: "The fake",
        reason: /broke after 4 chunks \(fake provider dropped the connection\)/,
      },
      {
        scenario: "truncate-after-5",
        partial: "The fake",
        reason: /closed the stream after 4 chunks without finishing it/,
      },
    ],
    hang: "hang",
    slowStream: "slow-20",
    splitStream: "split",
  },
  bedrock("sigv4"),
  bedrock("api-key"),
  workersAI("native"),
  workersAI("openai"),
];

/** A binding type without a row: why, and the row whose preset it copies, if that is why. */
export interface NotInTable {
  why: string;
  /** An OpenAI-shaped preset that differs from this row's only in its default API root (which every row replaces with the fake's). */
  sameAs?: ProviderType;
}

const AS_GROQ: NotInTable = {
  why: "an OpenAI-shaped preset like groq: a default API root and the key as a Bearer token",
  sameAs: "groq",
};

/**
 * The binding types without a row. The suite holds a `sameAs` preset to its claim: one that gains
 * its own URL or auth rule, or another family, needs a row of its own.
 */
export const NOT_IN_TABLE: Partial<Record<ProviderType, NotInTable>> = {
  mock: { why: "the built-in development provider answers from code: there is nothing to fake or to fail" },
  mistral: AS_GROQ,
  deepseek: AS_GROQ,
  together: AS_GROQ,
  fireworks: AS_GROQ,
  openrouter: AS_GROQ,
  xai: AS_GROQ,
};
