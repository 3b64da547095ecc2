import { exampleValue } from "./schema-value";
import { countTokens, tokenPieces } from "./tokens";

/**
 * The mock provider's "model": what it answers to a conversation, the same answer every time, read
 * from the request alone (no randomness, no clock). The wire modules (chat.ts, responses.ts) turn
 * their request into an `Ask` and the `Reply` into their own format.
 *
 * - It answers the last turn: to a user message, `Hello from the Faregate mock provider. You said: …`
 *   (the message's first 200 characters); to a tool's result, `… The tool <name> returned: …`.
 * - It calls tools when the request offers function tools and either forces a call (`required`, or a
 *   named function), or leaves the choice to the model and the last user message names a tool or says
 *   "use" or "call". It calls every tool the message names (only the first with parallel tool calls
 *   off), else the first tool (the named one when forced), with arguments built from the tool's
 *   parameter schema (schema-value.ts).
 * - Asked for JSON (`json_object`, or `json_schema` with a schema), the answer is JSON: `{"reply": …}`
 *   or a value of the schema.
 * - A stop sequence cuts the answer where it first appears (a normal stop). A token limit cuts it
 *   after that many tokens (tokens.ts), and only then is the stop reason `length`. A tool call that
 *   does not fit in the limit is not made: the text answer, cut, is sent instead.
 * - Usage: the prompt's tokens (every text of the conversation, the instructions and the tool
 *   definitions) and the tokens sent.
 */

export interface ToolSpec {
  name: string;
  /** The tool's parameter schema (JSON Schema), or undefined. */
  parameters: unknown;
}

export type ToolChoice = { kind: "auto" } | { kind: "none" } | { kind: "required" } | { kind: "named"; name: string };

export type AnswerFormat = { kind: "text" } | { kind: "json_object" } | { kind: "json_schema"; schema: unknown };

/** What the conversation ends with: the answer replies to it. */
export type LastTurn = { kind: "user"; text: string } | { kind: "tool"; name: string | null; text: string };

export interface Ask {
  /** Every text the prompt holds, for its token count (messages, instructions, tool definitions). */
  promptTexts: string[];
  last: LastTurn;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  /** The output token limit, or null. */
  maxTokens: number | null;
  stop: string[];
  format: AnswerFormat;
  /** A digest of the request, for ids that are the same for the same request. */
  seed: string;
}

export interface ToolCall {
  /** `call_…`, the same for the same request. */
  id: string;
  name: string;
  /** The arguments, a JSON object's text. */
  arguments: string;
}

export type Reply =
  | {
      kind: "text";
      text: string;
      pieces: string[];
      finish: "stop" | "length";
      promptTokens: number;
      outputTokens: number;
    }
  | { kind: "tools"; calls: ToolCall[]; promptTokens: number; outputTokens: number };

const REPLY_PREFIX = "Hello from the Faregate mock provider.";
/** How much of the message the answer repeats. */
const ECHO_CHARS = 200;

export const USE_OR_CALL = /\b(?:use|call)\b/i;

/** The text answer to the last turn, before any format, stop sequence or limit. */
export function replyText(last: LastTurn): string {
  if (last.kind === "tool") {
    const who = last.name ? `The tool ${last.name}` : "The tool";
    return `${REPLY_PREFIX} ${who} returned: ${last.text.slice(0, ECHO_CHARS) || "(nothing)"}`;
  }
  return `${REPLY_PREFIX} You said: ${last.text.slice(0, ECHO_CHARS) || "(nothing)"}`;
}

/** Whether `text` names the tool: its name, or its name with `_`, `-` and `.` read as spaces. */
function names(text: string, tool: string): boolean {
  const t = text.toLowerCase();
  const name = tool.toLowerCase();
  return t.includes(name) || t.includes(name.replace(/[_\-.]+/g, " "));
}

/** The tools the answer calls (none: a text answer). */
function toolsToCall(ask: Ask): ToolSpec[] {
  const { tools, toolChoice } = ask;
  if (tools.length === 0 || toolChoice.kind === "none") return [];
  if (toolChoice.kind === "named") {
    const named = tools.find((t) => t.name === toolChoice.name);
    return named ? [named] : [];
  }
  // Left to the model, a tool's result is answered in words, not with another call.
  if (toolChoice.kind === "auto" && ask.last.kind !== "user") return [];
  const userText = ask.last.kind === "user" ? ask.last.text : "";
  const mentioned = tools.filter((t) => names(userText, t.name));
  const wanted = toolChoice.kind === "required" || mentioned.length > 0 || USE_OR_CALL.test(userText);
  if (!wanted) return [];
  const chosen = mentioned.length > 0 ? mentioned : [tools[0] as ToolSpec];
  return ask.parallelToolCalls ? chosen : chosen.slice(0, 1);
}

/** The arguments of a call to `tool`: a value of its parameter schema, always a JSON object. */
export function toolArguments(tool: ToolSpec): string {
  const value = exampleValue(tool.parameters ?? { type: "object", properties: {} });
  return JSON.stringify(typeof value === "object" && value !== null && !Array.isArray(value) ? value : {});
}

/** The answer in the format asked for. */
function formatted(text: string, format: AnswerFormat): string {
  if (format.kind === "json_object") return JSON.stringify({ reply: text });
  if (format.kind === "json_schema") return JSON.stringify(exampleValue(format.schema));
  return text;
}

/** The text up to the first of the stop sequences, or all of it. */
function cutAtStop(text: string, stop: string[]): string {
  let end = text.length;
  for (const s of stop) {
    if (s === "") continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

export function answer(ask: Ask): Reply {
  const promptTokens = ask.promptTexts.reduce((n, t) => n + countTokens(t), 0);
  const calling = toolsToCall(ask);
  if (calling.length > 0) {
    const calls = calling.map((tool, i) => ({
      id: `call_${ask.seed.slice(0, 16)}${i}`,
      name: tool.name,
      arguments: toolArguments(tool),
    }));
    const outputTokens = calls.reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments), 0);
    if (ask.maxTokens === null || outputTokens <= ask.maxTokens) {
      return { kind: "tools", calls, promptTokens, outputTokens };
    }
  }
  const full = tokenPieces(cutAtStop(formatted(replyText(ask.last), ask.format), ask.stop));
  const cut = ask.maxTokens !== null && full.length > ask.maxTokens;
  const pieces = cut ? full.slice(0, ask.maxTokens ?? 0) : full;
  return {
    kind: "text",
    text: pieces.join(""),
    pieces,
    finish: cut ? "length" : "stop",
    promptTokens,
    outputTokens: pieces.length,
  };
}

/**
 * A digest of `text` (hex, 24 characters): FNV-1a, three ways seeded. Not for security: it gives
 * the same request the same ids.
 */
export function digest(text: string): string {
  let out = "";
  for (const seed of [0x811c9dc5, 0x01000193, 0x9e3779b9]) {
    let h = seed >>> 0;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, "0");
  }
  return out;
}
