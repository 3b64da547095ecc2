/**
 * The OpenAI wire format as the fake provider speaks it: chat completions, streaming and not, with
 * usage reported the way OpenAI reports it (a final usage-only chunk when include_usage is set).
 *
 * A request with tools whose `tool_choice` forces a call (`"required"`, or one named function) is
 * answered with one call of that tool (the first one for `"required"`) taking FAKE_TOOL_ARGUMENTS,
 * as OpenAI answers it: `content: null`, `tool_calls`, finish reason `tool_calls`; streamed, a first
 * chunk carrying the call's id and name with empty arguments, then the arguments in
 * FAKE_TOOL_ARGUMENT_FRAGMENTS, one chunk each. Every other request gets the FAKE_REPLY_WORDS text.
 */

export interface ChatRequestLike {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  max_tokens?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}

export const FAKE_REPLY_WORDS = ["The", "fake", "provider", "says", "hello", "to", "you."];

/** The arguments of every tool call the fake provider makes (OpenAI and Anthropic alike). */
export const FAKE_TOOL_ARGUMENTS = { city: "Paris" } as const;

/** How the arguments' JSON text is streamed: two fragments that only make sense joined. */
export const FAKE_TOOL_ARGUMENT_FRAGMENTS = ['{"city":', '"Paris"}'] as const;

const PROMPT_TOKENS = 11;
const CACHED_TOKENS = 3;

const usage = () => ({
  prompt_tokens: PROMPT_TOKENS,
  completion_tokens: FAKE_REPLY_WORDS.length,
  total_tokens: PROMPT_TOKENS + FAKE_REPLY_WORDS.length,
  prompt_tokens_details: { cached_tokens: CACHED_TOKENS },
});

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};

/** The names of the request's function tools, in order. */
function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((t) => {
    const name = record(record(t).function).name;
    return typeof name === "string" ? [name] : [];
  });
}

/** The tool an OpenAI request forces a call of, if it does. */
export function forcedOpenAITool(req: ChatRequestLike): string | null {
  const names = toolNames(req.tools);
  if (names.length === 0) return null;
  if (req.tool_choice === "required") return names[0] ?? null;
  const named = record(record(req.tool_choice).function).name;
  return record(req.tool_choice).type === "function" && typeof named === "string" ? named : null;
}

const toolCallId = (id: string) => `call_${id.replace(/^chatcmpl-/, "")}`;

export function completion(req: ChatRequestLike, id: string) {
  const tool = forcedOpenAITool(req);
  const message = tool
    ? {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: toolCallId(id),
            type: "function",
            function: { name: tool, arguments: JSON.stringify(FAKE_TOOL_ARGUMENTS) },
          },
        ],
      }
    : { role: "assistant", content: FAKE_REPLY_WORDS.join(" "), refusal: null };
  return {
    id,
    object: "chat.completion",
    created: 1_700_000_000,
    model: String(req.model),
    system_fingerprint: "fp_fake",
    choices: [{ index: 0, message, logprobs: null, finish_reason: tool ? "tool_calls" : "stop" }],
    usage: usage(),
  };
}

/** The deltas of a streamed answer, in order (the finish chunk excluded). */
function deltas(req: ChatRequestLike, id: string): object[] {
  const tool = forcedOpenAITool(req);
  if (!tool) {
    return [
      { role: "assistant", content: "" },
      ...FAKE_REPLY_WORDS.map((w, i) => ({ content: i === 0 ? w : ` ${w}` })),
    ];
  }
  return [
    {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ index: 0, id: toolCallId(id), type: "function", function: { name: tool, arguments: "" } }],
    },
    ...FAKE_TOOL_ARGUMENT_FRAGMENTS.map((arguments_) => ({
      tool_calls: [{ index: 0, function: { arguments: arguments_ } }],
    })),
  ];
}

/** The stream's `data:` payloads in order, `[DONE]` last. */
export function streamFrames(req: ChatRequestLike, id: string): string[] {
  const includeUsage = req.stream_options?.include_usage === true;
  const base = {
    id,
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: String(req.model),
    system_fingerprint: "fp_fake",
  };
  const withUsage = (o: object) => (includeUsage ? { ...o, usage: null } : o);
  const chunk = (delta: object, finish: string | null) =>
    withUsage({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const finish = forcedOpenAITool(req) ? "tool_calls" : "stop";
  const frames = [...deltas(req, id).map((d) => chunk(d, null)), chunk({}, finish)].map((f) => JSON.stringify(f));
  if (includeUsage) frames.push(JSON.stringify({ ...base, choices: [], usage: usage() }));
  frames.push("[DONE]");
  return frames;
}

export const openAIError = (status: number) => ({
  error: {
    message: `Fake provider error with status ${status}`,
    type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error",
    param: null,
    code: status === 429 ? "rate_limit_exceeded" : null,
  },
});
