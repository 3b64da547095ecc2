import { FAKE_REPLY_WORDS } from "./openai";

/**
 * OpenAI's Responses API as the fake provider speaks it, at /v1/responses and at Azure's
 * /openai/responses: a Responses object with one output message, or (with `stream: true`) OpenAI's
 * event sequence for it: `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, one `response.output_text.delta` per word,
 * `response.output_text.done`, `response.content_part.done`, `response.output_item.done`, then
 * `response.completed` carrying the final object with its usage. (Clients such as Codex and the
 * `openai` SDK's stream helper build the answer from the item events.)
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
  const started = responseObject(req, id, false);
  const finished = responseObject(req, id, true);
  const [item] = finished.output;
  if (!item) throw new Error("the finished response has no output item");
  const [part] = item.content;
  const at = { item_id: item.id, output_index: 0, content_index: 0 };
  return [
    event("response.created", { response: started }),
    event("response.in_progress", { response: started }),
    event("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
    event("response.content_part.added", { ...at, part: { ...part, text: "" } }),
    ...FAKE_REPLY_WORDS.map((word, i) =>
      event("response.output_text.delta", { ...at, delta: i === 0 ? word : ` ${word}` }),
    ),
    event("response.output_text.done", { ...at, text: part?.text }),
    event("response.content_part.done", { ...at, part }),
    event("response.output_item.done", { output_index: 0, item }),
    event("response.completed", { response: finished }),
  ];
}
