import {
  anthropicError,
  countTokensAnswer,
  message,
  messageStreamEvents,
  openingErrorEvents,
  type MessagesRequestLike,
} from "./anthropic";
import { AZURE_CHAT, AZURE_CHAT_PATH } from "./azure";
import { BEDROCK_PATH, bedrockAnswer, bedrockError } from "./bedrock";
import { AZURE_EMBEDDINGS_PATH, embeddingsAnswer } from "./embeddings";
import { GEMINI_CHAT, GEMINI_CHAT_PATH } from "./gemini";
import { completion, openAIError, streamFrames, type ChatRequestLike } from "./openai";
import { AZURE_RESPONSES_PATH, responseAnswer, responseStreamEvents, type ResponsesRequestLike } from "./responses";
import { scenarioStream, sleep, untilAborted } from "./scenario-stream";

/**
 * The project's own fake provider: speaks the OpenAI wire format at /v1/chat/completions and
 * Anthropic's at /v1/messages (streaming included; see anthropic.ts), and fails on demand. A scenario
 * is chosen by the path prefix of the binding's base_url, so one fallback chain can mix healthy and
 * failing bindings.
 *
 * A healthy answer is the FAKE_REPLY_WORDS text, except that a request with tools whose `tool_choice`
 * forces a call (OpenAI `"required"` or a named function; Anthropic `{"type": "any"}` or
 * `{"type": "tool"}`) gets one call of that tool (the first tool when none is named) taking
 * FAKE_TOOL_ARGUMENTS, streamed as argument deltas in its format's way (openai.ts, anthropic.ts).
 * `"auto"` never calls a tool, so tests say exactly when they want one. The scenarios:
 *
 *   /v1/chat/completions                       healthy
 *   /s/status-503/v1/...                       JSON error with that status (any code)
 *   /s/html-502/v1/...                         an HTML error page with that status
 *   /s/text-200/v1/...                         a 200 whose body is not JSON
 *   /s/hang/v1/...                             never answers (until the caller aborts)
 *   /s/hang-after-2/v1/...                     streams 2 chunks, then goes silent
 *   /s/drop-after-3/v1/...                     streams 3 chunks, then the connection breaks
 *   /s/truncate-after-3/v1/...                 streams 3 chunks, then ends without [DONE]
 *   /s/slow-20/v1/...                          waits 20 ms before each chunk
 *   /s/split/v1/...                            streams in 7-byte pieces that cut events and lines
 *
 * /v1/messages and /v1/messages/count_tokens answer 400 in Anthropic's error shape when `x-api-key`
 * or `anthropic-version` is missing, and their `status-…` errors are in Anthropic's shape too. Three
 * scenarios are their own:
 *
 *   /s/error-first-529/v1/messages             a stream (HTTP 200) whose first event is an `error`
 *                                              (529: overloaded_error); not streamed, a 529
 *   /s/error-after-start-529/v1/messages       the same after `message_start` and `ping`
 *   /s/no-count-tokens/v1/messages/count_tokens  a 404 not_found_error, as an Anthropic-compatible
 *                                              server without token counting answers
 *
 * Azure OpenAI's /openai/deployments/:deployment/chat/completions (azure.ts) and Gemini's OpenAI-compatible
 * /v1beta/openai/chat/completions (gemini.ts) check auth their provider's way and fail in its shape.
 * Bedrock's /model/:id/converse and /model/:id/converse-stream (bedrock.ts) check SigV4 or a Bedrock
 * API key and answer in Bedrock's JSON and binary event-stream formats, failing in Bedrock's shape.
 * /v1/embeddings (embeddings.ts) and /v1/responses (responses.ts, streaming included) speak OpenAI's
 * other endpoints, and Azure's /openai/deployments/:deployment/embeddings and /openai/responses the
 * same with Azure's auth.
 *
 * Every request is recorded (method, path, query, headers, body, whether the caller aborted) for tests to
 * inspect: in the same isolate through `recorded`, from another process through GET /__requests.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query parameters (the last value of each). */
  query: Record<string, string>;
  scenario: string;
  headers: Record<string, string>;
  body: unknown;
  /** The body exactly as it arrived. */
  raw: string;
  aborted: boolean;
}

export const recorded: RecordedRequest[] = [];
export function resetRecorded(): void {
  recorded.length = 0;
}

const encoder = new TextEncoder();

/** `frames` are complete SSE events (their text up to and including the blank line); the scenarios count events. */
function sseStream(
  frames: string[],
  scenario: string,
  signal: AbortSignal,
  onCancel: () => void,
): ReadableStream<Uint8Array> {
  return scenarioStream(
    frames.map((f) => encoder.encode(f)),
    { scenario, signal, onCancel },
  );
}

export async function handleFakeProvider(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/__requests") return Response.json(recorded);
  if (url.pathname === "/__reset") {
    resetRecorded();
    return new Response(null, { status: 204 });
  }
  const m = /^\/s\/([a-z0-9-]+)(\/.*)$/.exec(url.pathname);
  const scenario = m?.[1] ?? "ok";
  const path = m?.[2] ?? url.pathname;
  const text = request.method === "GET" ? "" : await request.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  const query = Object.fromEntries(url.searchParams);
  const entry: RecordedRequest = {
    method: request.method,
    path,
    query,
    scenario,
    headers,
    body,
    raw: text,
    aborted: false,
  };
  recorded.push(entry);
  request.signal.addEventListener("abort", () => (entry.aborted = true), { once: true });

  const status = /^status-(\d{3})$/.exec(scenario);
  if (status) {
    const code = Number(status[1]);
    if (BEDROCK_PATH.test(path)) return bedrockError(code);
    const error = path.startsWith("/v1/messages")
      ? anthropicError(code)
      : (chatDialectFor(path) ?? OPENAI_CHAT).error(code);
    return Response.json(error, { status: code });
  }
  const html = /^html-(\d{3})$/.exec(scenario);
  if (html) {
    return new Response(
      "<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body><h1>502</h1></body></html>",
      {
        status: Number(html[1]),
        headers: { "content-type": "text/html" },
      },
    );
  }
  if (scenario === "text-200")
    return new Response("upstream says hi", { status: 200, headers: { "content-type": "text/plain" } });
  if (scenario === "hang") {
    await untilAborted(request.signal);
    return new Response(null, { status: 499 });
  }

  if (request.method === "GET" && path === "/v1/models") {
    return Response.json({
      object: "list",
      data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "fake" }],
    });
  }
  if (request.method === "POST" && path === "/v1/messages") return messages(request, body, scenario, entry);
  if (request.method === "POST" && path === "/v1/messages/count_tokens") return countTokens(request, body, scenario);
  if (request.method === "POST" && BEDROCK_PATH.test(path)) {
    return bedrockAnswer(request, url, path, text, body, scenario, () => (entry.aborted = true));
  }
  if (request.method === "POST" && (path === "/v1/embeddings" || AZURE_EMBEDDINGS_PATH.test(path))) {
    const rejection = AZURE_EMBEDDINGS_PATH.test(path) ? AZURE_CHAT.rejects(request, url) : null;
    return rejection ?? Response.json(embeddingsAnswer(body ?? {}));
  }
  if (request.method === "POST" && (path === "/v1/responses" || path === AZURE_RESPONSES_PATH)) {
    const rejection = path === AZURE_RESPONSES_PATH ? AZURE_CHAT.rejects(request, url) : null;
    return rejection ?? responses(request, body, scenario, entry);
  }
  const dialect = request.method === "POST" ? chatDialectFor(path) : null;
  if (!dialect) {
    return Response.json(
      { error: { message: `fake provider has no route ${request.method} ${path}`, type: "invalid_request_error" } },
      { status: 404 },
    );
  }
  const rejection = dialect.rejects(request, url);
  if (rejection) return rejection;
  const req = (body ?? {}) as ChatRequestLike;
  const id = `chatcmpl-fake${recorded.length}`;
  if (req.stream === true) {
    const events = dialect.streamFrames(req, id).map((f) => `data: ${f}\n\n`);
    return new Response(
      sseStream(events, scenario, request.signal, () => (entry.aborted = true)),
      {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      },
    );
  }
  if (scenario.startsWith("slow-")) await sleep(Number(scenario.slice(5)));
  return Response.json(dialect.completion(req, id));
}

/** One provider's flavour of OpenAI chat completions: what it requires of a request, and its shapes. */
export interface ChatDialect {
  /** The provider's error answer when the request lacks what it requires (auth, parameters), else null. */
  rejects(request: Request, url: URL): Response | null;
  completion(req: ChatRequestLike, id: string): object;
  /** The stream's `data:` payloads in order, `[DONE]` last. */
  streamFrames(req: ChatRequestLike, id: string): string[];
  error(status: number): unknown;
}

const OPENAI_CHAT: ChatDialect = { rejects: () => null, completion, streamFrames, error: openAIError };

function chatDialectFor(path: string): ChatDialect | null {
  if (path === "/v1/chat/completions") return OPENAI_CHAT;
  if (path === GEMINI_CHAT_PATH) return GEMINI_CHAT;
  if (AZURE_CHAT_PATH.test(path)) return AZURE_CHAT;
  return null;
}

/** Anthropic's answer to a request without the headers it requires, or null. */
function missingAnthropicHeaders(request: Request): Response | null {
  for (const header of ["x-api-key", "anthropic-version"]) {
    if (!request.headers.get(header)) {
      return Response.json(anthropicError(400, `${header}: header is required`), { status: 400 });
    }
  }
  return null;
}

/** Anthropic's token counting endpoint. */
function countTokens(request: Request, body: unknown, scenario: string): Response {
  const missing = missingAnthropicHeaders(request);
  if (missing) return missing;
  if (scenario === "no-count-tokens") {
    return Response.json(anthropicError(404, "Not Found"), { status: 404 });
  }
  return countTokensAnswer(body);
}

/** Anthropic's Messages endpoint. */
async function messages(request: Request, body: unknown, scenario: string, entry: RecordedRequest): Promise<Response> {
  const missing = missingAnthropicHeaders(request);
  if (missing) return missing;
  const req = (body ?? {}) as MessagesRequestLike;
  const id = `msg_fake${recorded.length}`;
  const openingError = /^error-(first|after-start)-(\d{3})$/.exec(scenario);
  if (openingError) {
    const status = Number(openingError[2]);
    if (req.stream !== true) return Response.json(anthropicError(status), { status });
    const events = openingErrorEvents(req, id, status, openingError[1] === "after-start");
    return new Response(events.join(""), {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
  if (req.stream === true) {
    return new Response(
      sseStream(messageStreamEvents(req, id), scenario, request.signal, () => (entry.aborted = true)),
      {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      },
    );
  }
  if (scenario.startsWith("slow-")) await sleep(Number(scenario.slice(5)));
  return Response.json(message(req, id));
}

/** OpenAI's Responses API. */
async function responses(request: Request, body: unknown, scenario: string, entry: RecordedRequest): Promise<Response> {
  const req = (body ?? {}) as ResponsesRequestLike;
  const id = `resp_fake${recorded.length}`;
  if (req.stream === true) {
    return new Response(
      sseStream(responseStreamEvents(req, id), scenario, request.signal, () => (entry.aborted = true)),
      {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      },
    );
  }
  if (scenario.startsWith("slow-")) await sleep(Number(scenario.slice(5)));
  return Response.json(responseAnswer(req, id));
}

export default { fetch: handleFakeProvider } satisfies ExportedHandler;
