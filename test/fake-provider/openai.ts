/**
 * The OpenAI wire format as the fake provider speaks it: chat completions, streaming and not, with
 * usage reported the way OpenAI reports it (a final usage-only chunk when include_usage is set).
 */

export interface ChatRequestLike {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  max_tokens?: unknown;
}

export const FAKE_REPLY_WORDS = ["The", "fake", "provider", "says", "hello", "to", "you."];

export function completion(req: ChatRequestLike, id: string) {
  const content = FAKE_REPLY_WORDS.join(" ");
  return {
    id,
    object: "chat.completion",
    created: 1_700_000_000,
    model: String(req.model),
    system_fingerprint: "fp_fake",
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" },
    ],
    usage: {
      prompt_tokens: 11,
      completion_tokens: FAKE_REPLY_WORDS.length,
      total_tokens: 11 + FAKE_REPLY_WORDS.length,
      prompt_tokens_details: { cached_tokens: 3 },
    },
  };
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
  const frames = [
    withUsage({
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    }),
    ...FAKE_REPLY_WORDS.map((w, i) =>
      withUsage({
        ...base,
        choices: [{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, logprobs: null, finish_reason: null }],
      }),
    ),
    withUsage({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] }),
  ].map((f) => JSON.stringify(f));
  if (includeUsage) {
    frames.push(
      JSON.stringify({
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 11,
          completion_tokens: FAKE_REPLY_WORDS.length,
          total_tokens: 11 + FAKE_REPLY_WORDS.length,
          prompt_tokens_details: { cached_tokens: 3 },
        },
      }),
    );
  }
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
