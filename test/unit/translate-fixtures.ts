/**
 * Wire fixtures for the translation tests, written after the providers' documented formats: an
 * Anthropic Messages stream (text, then a tool call whose input arrives in fragments, cache tokens in
 * `message_start`) and an OpenAI chat-completions stream (text, then two parallel tool calls, a usage
 * chunk, `[DONE]`).
 */
import { expect } from "vitest";
import type { UpstreamEvent } from "../../src/translate";
import { parseSse, type SseEvent } from "../helpers/sse";

const ev = (type: string, body: object): UpstreamEvent => ({ event: type, data: JSON.stringify({ type, ...body }) });

export const ANTHROPIC_TOOL_STREAM: UpstreamEvent[] = [
  ev("message_start", {
    message: {
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      type: "message",
      role: "assistant",
      content: [],
      model: "claude-sonnet-4-5",
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 472, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 2 },
    },
  }),
  ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  ev("ping", {}),
  ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Okay, let me check" } }),
  ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: " the weather." } }),
  ev("content_block_stop", { index: 0 }),
  ev("content_block_start", {
    index: 1,
    content_block: { type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", input: {} },
  }),
  ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: "" } }),
  ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"location":' } }),
  ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: ' "San Fra' } }),
  ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: 'ncisco, CA", "unit": "c' } }),
  ev("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: 'elsius"}' } }),
  ev("content_block_stop", { index: 1 }),
  ev("content_block_start", {
    index: 2,
    content_block: { type: "tool_use", id: "toolu_02ABC", name: "get_time", input: {} },
  }),
  ev("content_block_delta", {
    index: 2,
    delta: { type: "input_json_delta", partial_json: '{"tz": "America/Los_Angeles"}' },
  }),
  ev("content_block_stop", { index: 2 }),
  ev("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 89 } }),
  ev("message_stop", {}),
];

/** A thinking block first, then text: the thinking must not reach an OpenAI client. */
export const ANTHROPIC_THINKING_STREAM: UpstreamEvent[] = [
  ev("message_start", {
    message: {
      id: "msg_think",
      type: "message",
      role: "assistant",
      content: [],
      model: "claude-sonnet-4-5",
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  }),
  ev("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "" } }),
  ev("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "The user wants 27*453." } }),
  ev("content_block_delta", {
    index: 0,
    delta: { type: "signature_delta", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" },
  }),
  ev("content_block_stop", { index: 0 }),
  ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
  ev("content_block_delta", { index: 1, delta: { type: "text_delta", text: "27 * 453 = 12,231" } }),
  ev("content_block_stop", { index: 1 }),
  ev("message_delta", { delta: { stop_reason: "max_tokens", stop_sequence: null }, usage: { output_tokens: 40 } }),
  ev("message_stop", {}),
];

const chunk = (delta: object | null, finish: string | null = null, extra: object = {}): UpstreamEvent => ({
  data: JSON.stringify({
    id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    object: "chat.completion.chunk",
    created: 1741570283,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_eb9dce56a8",
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
    ...extra,
  }),
});

export const OPENAI_TOOL_STREAM: UpstreamEvent[] = [
  chunk({ role: "assistant", content: "", refusal: null }),
  chunk({ content: "Checking" }),
  chunk({ content: " both." }),
  chunk({
    tool_calls: [
      {
        index: 0,
        id: "call_DdmO9pD3xa9XTPNJ32zg2hcA",
        type: "function",
        function: { name: "get_weather", arguments: "" },
      },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"lo' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'cation": "Paris"}' } }] }),
  chunk({
    tool_calls: [{ index: 1, id: "call_ABCd", type: "function", function: { name: "get_time", arguments: "" } }],
  }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{"tz":"Europe/Paris"}' } }] }),
  chunk({}, "tool_calls"),
  chunk(null, null, {
    usage: {
      prompt_tokens: 1200,
      completion_tokens: 57,
      total_tokens: 1257,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  }),
  { data: "[DONE]" },
];

/** Feeds every event to a translator; returns everything it wrote. */
export function run(translator: { push(e: UpstreamEvent): string }, events: UpstreamEvent[]): string {
  return events.map((e) => translator.push(e)).join("");
}

/** The output as SSE events, each `data` parsed as JSON (except `[DONE]`), checking it is valid. */
export function parsedEvents(text: string): { event: string | null; json: Record<string, unknown> | "[DONE]" }[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return parseSse(text).map((e: SseEvent) => ({
    event: e.event,
    json: e.data === "[DONE]" ? "[DONE]" : (JSON.parse(e.data) as Record<string, unknown>),
  }));
}

/** A fetch that answers every call with this SSE text (to feed an official SDK). */
export const sseFetch = (text: string) => async (): Promise<Response> =>
  new Response(text, { headers: { "content-type": "text/event-stream" } });

/** A fetch that answers every call with this JSON. */
export const jsonFetch = (body: unknown) => async (): Promise<Response> =>
  new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
