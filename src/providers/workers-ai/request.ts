import type { ChatBody } from "../../contract/wire";
import { DroppedParams, type Translated } from "../../translate/notes";

/**
 * An OpenAI chat-completions body as the inputs of `env.AI.run(model, inputs)` for a Workers AI
 * text-generation model. The model travels as `run`'s first argument, not in the inputs.
 *
 * Workers AI takes OpenAI's parameters under the same names, but its older models validate their
 * inputs strictly, so only the parameters some Workers AI text model documents are sent; any other is
 * left out and reported in `dropped`. `max_completion_tokens` becomes `max_tokens` (the only name older
 * models know); `stream_options` is the gateway's business (the family writes the usage chunk itself).
 *
 * Messages: a `null` content becomes `""` (the binding refuses null), and content made only of text
 * parts becomes one string (older models take strings only); images and other parts stay as they are.
 */

export type WorkersAIInputs = Record<string, unknown> & { messages: unknown[] };

/** Parameters sent as they are. */
const SENT = new Set([
  "messages",
  "tools",
  "tool_choice",
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "seed",
  "repetition_penalty",
  "frequency_penalty",
  "presence_penalty",
  "response_format",
  "stop",
  "parallel_tool_calls",
  "reasoning_effort",
  "chat_template_kwargs",
  "stream",
]);

/** Parameters the family handles itself: left out without a note. */
const HANDLED = new Set(["model", "stream_options", "max_completion_tokens"]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Content of text parts only, as one string; anything else unchanged. */
function flatContent(content: unknown): unknown {
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content) || content.length === 0) return content;
  const texts: string[] = [];
  for (const part of content) {
    if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") return content;
    texts.push(part.text);
  }
  return texts.join("\n");
}

function message(m: unknown): unknown {
  if (!isRecord(m)) return m;
  const content = flatContent(m.content);
  return content === m.content ? m : { ...m, content };
}

export function openAIToWorkersAIInputs(body: ChatBody): Translated<WorkersAIInputs> {
  const dropped = new DroppedParams();
  const inputs: WorkersAIInputs = { messages: Array.isArray(body.messages) ? body.messages.map(message) : [] };
  for (const [key, value] of Object.entries(body)) {
    if (key === "messages" || value === undefined || value === null) continue; // null: the model's default
    if (SENT.has(key)) inputs[key] = value;
    else if (!HANDLED.has(key)) dropped.add(key);
  }
  const limit = body.max_completion_tokens;
  if (inputs.max_tokens == null && typeof limit === "number") inputs.max_tokens = limit;
  return { body: inputs, dropped: dropped.list() };
}
