import { FAKE_REPLY_WORDS } from "./openai";

/**
 * OpenAI's Responses API as the fake provider speaks it, at /v1/responses and at Azure's
 * /openai/responses: a Responses object with one output message, or (with `stream: true`) the events
 * `response.created`, one `response.output_text.delta` per word, then `response.completed` carrying
 * the final object with its usage.
 */

export const FAKE_RESPONSES_USAGE = { input: 13, cached: 4, output: FAKE_REPLY_WORDS.length } as const;

export interface ResponsesRequestLike {
  model?: unknown;
  stream?: unknown;
}

export const AZURE_RESPONSES_PATH = "/openai/responses";

function responseObject(req: ResponsesRequestLike, id: string, done: boolean) {
  const text = FAKE_REPLY_WORDS.join(" ");
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status: done ? "completed" : "in_progress",
    model: String(req.model),
    output: done
      ? [
          {
            type: "message",
            id: `msg_${id}`,
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text, annotations: [] }],
          },
        ]
      : [],
    usage: done
      ? {
          input_tokens: FAKE_RESPONSES_USAGE.input,
          input_tokens_details: { cached_tokens: FAKE_RESPONSES_USAGE.cached },
          output_tokens: FAKE_RESPONSES_USAGE.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: FAKE_RESPONSES_USAGE.input + FAKE_RESPONSES_USAGE.output,
        }
      : null,
  };
}

export const responseAnswer = (req: ResponsesRequestLike, id: string) => responseObject(req, id, true);

/** The stream as complete SSE events (`event:` and `data:` lines, blank line included). */
export function responseStreamEvents(req: ResponsesRequestLike, id: string): string[] {
  let seq = 0;
  const event = (type: string, fields: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  return [
    event("response.created", { response: responseObject(req, id, false) }),
    ...FAKE_REPLY_WORDS.map((word, i) =>
      event("response.output_text.delta", {
        item_id: `msg_${id}`,
        output_index: 0,
        content_index: 0,
        delta: i === 0 ? word : ` ${word}`,
      }),
    ),
    event("response.completed", { response: responseObject(req, id, true) }),
  ];
}
