/**
 * OpenAI Chat Completions ⇄ Anthropic Messages, both directions, as pure functions (no I/O, no
 * pipeline state). Exports:
 *
 * Requests — each returns `{ body, dropped }`; `dropped` lists parameters the target cannot honour
 * (left out, or adjusted with a parenthetical) for the caller to log. Input that cannot be translated at
 * all throws a 400 `GatewayError` (`invalid_request_error`, code `untranslatable_request`, `param` = the
 * field).
 * - `openAIToAnthropicRequest(body, { model?, defaultMaxTokens? })` — `max_tokens` defaults to
 *   `DEFAULT_MAX_TOKENS` (4096) when the client set no limit.
 * - `anthropicToOpenAIRequest(body, { model?, maxTokensField?, includeUsage?, keepCacheMarkers? })` — a
 *   streaming request asks for `stream_options.include_usage` unless `includeUsage: false`; `cache_control`
 *   markers are dropped unless `keepCacheMarkers` (for Bedrock, which reads them).
 *
 * Responses (non-streaming) — a provider body of the wrong shape throws a 502 `GatewayError`
 * (`provider_error`, code `untranslatable_response`).
 * - `anthropicToOpenAIResponse(message, { model? })`
 * - `openAIToAnthropicResponse(completion, { model? })`
 *
 * Streams — stateful; `push({ event?, data })` takes one parsed upstream SSE event and returns the SSE
 * text for the client (possibly empty, possibly several events). `finished` is true once the stream
 * completed normally; `usage()` gives the `TokenUsage` seen so far (null before any); `fail(message)`
 * returns the terminal `upstream_mid_stream_failure` frame in the client's envelope (docs/api.md, Errors), for a
 * provider that broke off or ended without finishing (`finished` still false); an upstream error event
 * produces that frame by itself and sets `failure`. After either ending, everything returns "".
 * - `new AnthropicToOpenAIStream({ model, includeUsage })`
 * - `new OpenAIToAnthropicStream({ model })`
 *
 * Errors — a provider's error body (parsed JSON or raw text) in the other API's envelope, status kept:
 * - `anthropicErrorToOpenAI(status, body)` → `{ status, body: {"error":{type,code,message,param}} }`
 * - `openAIErrorToAnthropic(status, body)` → `{ status, body: {"type":"error","error":{type,code?,message}} }`
 *
 * Also: the stop-reason and usage mappings (`finishReasonFromStopReason`, `stopReasonFromFinishReason`,
 * `tokenUsageFromAnthropic`, `tokenUsageFromOpenAI`) and the wire schemas the translations validate with.
 */

export type { Translated } from "./notes";
export { DEFAULT_MAX_TOKENS, openAIToAnthropicRequest, type ToAnthropicRequestOptions } from "./request-to-anthropic";
export { anthropicToOpenAIRequest, type ToOpenAIRequestOptions } from "./request-to-openai";
export { anthropicToOpenAIResponse } from "./response-to-openai";
export type { OpenAIChatCompletionOut } from "./chat-completion";
export { openAIToAnthropicResponse, type AnthropicMessageOut } from "./response-to-anthropic";
export { AnthropicToOpenAIStream, type AnthropicToOpenAIStreamOptions } from "./stream-to-openai";
export { OpenAIToAnthropicStream, type OpenAIToAnthropicStreamOptions } from "./stream-to-anthropic";
export { anthropicErrorToOpenAI, type OpenAIErrorOut } from "./error-to-openai";
export { openAIErrorToAnthropic, type AnthropicErrorOut } from "./error-to-anthropic";
export type { TranslatedError } from "./provider-error-body";
export type { UpstreamEvent } from "./sse";
export { finishReasonFromStopReason, stopReasonFromFinishReason } from "./stop-reasons";
export { tokenUsageFromAnthropic, tokenUsageFromOpenAI } from "./usage";
export { AnthropicMessagesRequest, AnthropicMessage } from "./schemas/anthropic";
export { OpenAIChatRequest, OpenAIChatCompletion } from "./schemas/openai";
