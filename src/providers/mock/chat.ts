import * as z from "zod";
import { answer, digest, type Ask, type LastTurn, type Reply, type ToolChoice, type ToolSpec } from "./model";
import { tokenPieces } from "./tokens";
import { contentText, eventStream, invalidBody, mockError, nowSeconds } from "./wire";

/**
 * OpenAI chat completions as the mock provider answers them: a `chat.completion`, or with `stream`
 * the `chat.completion.chunk` events (the role, one chunk per token, the finish reason, the usage
 * chunk when `stream_options.include_usage` asks for it) and `[DONE]`. Tool calls, stop reasons and
 * usage are the model's (model.ts).
 */

const positiveInt = z.number().int().positive().nullish();

const functionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({ name: z.string().min(1, "must be a non-empty name"), parameters: z.unknown().optional() }),
});

const chatRequest = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  messages: z
    .array(
      z.looseObject({
        role: z.string().min(1, "must be a non-empty role"),
        content: z.unknown().optional(),
        tool_calls: z
          .array(
            z.looseObject({
              id: z.string().optional(),
              function: z.looseObject({ name: z.string(), arguments: z.string().optional() }),
            }),
          )
          .nullish(),
        tool_call_id: z.string().nullish(),
        name: z.string().nullish(),
      }),
      { error: "must be an array of message objects" },
    )
    .min(1, "must contain at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  n: z
    .number()
    .int()
    .refine((n) => n === 1, "must be 1: the mock provider answers with one choice")
    .nullish(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)], { error: "must be a string or an array of at most 4 strings" })
    .nullish(),
  tools: z.array(z.looseObject({ type: z.string() }), { error: "must be an array of tool objects" }).nullish(),
  tool_choice: z
    .union(
      [
        z.enum(["none", "auto", "required"]),
        z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
      ],
      { error: 'must be "none", "auto", "required" or {"type":"function","function":{"name":…}}' },
    )
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: z
    .union(
      [
        z.looseObject({ type: z.enum(["text", "json_object"]) }),
        z.looseObject({
          type: z.literal("json_schema"),
          json_schema: z.looseObject({ name: z.string().optional(), schema: z.unknown().optional() }),
        }),
      ],
      { error: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{…}}' },
    )
    .nullish(),
});

type ChatRequest = z.infer<typeof chatRequest>;

/** The function tools offered (other tool types cannot be called), or a 400 for a malformed one. */
function toolSpecs(req: ChatRequest): ToolSpec[] | Response {
  const out: ToolSpec[] = [];
  for (const [i, t] of (req.tools ?? []).entries()) {
    if (t.type !== "function") continue;
    const parsed = functionTool.safeParse(t);
    if (!parsed.success) return invalidBody(parsed.error, "chat completions request", ["tools", i]);
    out.push({ name: parsed.data.function.name, parameters: parsed.data.function.parameters });
  }
  return out;
}

function toolChoice(req: ChatRequest): ToolChoice {
  const c = req.tool_choice;
  if (c === "none" || c === "required") return { kind: c };
  if (typeof c === "object" && c !== null) return { kind: "named", name: c.function.name };
  return { kind: "auto" };
}

/** The turn the answer replies to: a tool message (named by the call it answers), else the last user message. */
function lastTurn(req: ChatRequest): LastTurn {
  const messages = req.messages;
  const final = messages[messages.length - 1];
  if (final?.role === "tool") {
    const callId = final.tool_call_id;
    let name: string | null = null;
    for (const m of messages) {
      for (const call of m.tool_calls ?? []) if (callId && call.id === callId) name = call.function.name;
    }
    return { kind: "tool", name, text: contentText(final.content) };
  }
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === "user") return { kind: "user", text: contentText(m.content) };
  }
  return { kind: "user", text: "" };
}

function promptTexts(req: ChatRequest): string[] {
  const texts: string[] = [];
  for (const m of req.messages) {
    texts.push(contentText(m.content));
    for (const call of m.tool_calls ?? []) texts.push(call.function.name, call.function.arguments ?? "");
  }
  for (const t of req.tools ?? []) texts.push(JSON.stringify(t));
  return texts;
}

/** The request as the model's question, or a 400 for what OpenAI would refuse. */
function ask(req: ChatRequest): Ask | Response {
  const tools = toolSpecs(req);
  if (tools instanceof Response) return tools;
  const choice = toolChoice(req);
  if (choice.kind === "required" || choice.kind === "named") {
    if (tools.length === 0) {
      return mockError(400, "tool_choice asks for a tool call, but tools offers no function.", "tool_choice");
    }
    if (choice.kind === "named" && !tools.some((t) => t.name === choice.name)) {
      return mockError(
        400,
        `tool_choice names the function "${choice.name}", which is not in tools (${tools.map((t) => t.name).join(", ")}).`,
        "tool_choice",
      );
    }
  }
  const format = req.response_format;
  return {
    promptTexts: promptTexts(req),
    last: lastTurn(req),
    tools,
    toolChoice: choice,
    parallelToolCalls: req.parallel_tool_calls !== false,
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? null,
    stop: typeof req.stop === "string" ? [req.stop] : (req.stop ?? []),
    format:
      format?.type === "json_schema"
        ? { kind: "json_schema", schema: format.json_schema.schema ?? {} }
        : format?.type === "json_object"
          ? { kind: "json_object" }
          : { kind: "text" },
    seed: digest(JSON.stringify(req)),
  };
}

function usageOf(reply: Reply) {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.outputTokens,
    total_tokens: reply.promptTokens + reply.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const finishReason = (reply: Reply) => (reply.kind === "tools" ? "tool_calls" : reply.finish);

function completion(req: ChatRequest, reply: Reply, id: string, created: number) {
  const message =
    reply.kind === "tools"
      ? {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: reply.calls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.arguments },
          })),
        }
      : { role: "assistant", content: reply.text, refusal: null };
  return {
    id,
    object: "chat.completion",
    created,
    model: req.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usageOf(reply),
    system_fingerprint: null,
  };
}

function chunks(req: ChatRequest, reply: Reply, id: string, created: number): string[] {
  const base = { id, object: "chat.completion.chunk", created, model: req.model, system_fingerprint: null };
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const out: string[] = [];
  if (reply.kind === "tools") {
    out.push(chunk({ role: "assistant", content: null, refusal: null }));
    reply.calls.forEach((c, index) => {
      out.push(
        chunk({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }),
      );
      for (const piece of tokenPieces(c.arguments)) {
        out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
  } else {
    out.push(chunk({ role: "assistant", content: "", refusal: null }));
    for (const piece of reply.pieces) out.push(chunk({ content: piece }));
  }
  out.push(chunk({}, finishReason(reply)));
  if (req.stream_options?.include_usage === true) {
    out.push(`data: ${JSON.stringify({ ...base, choices: [], usage: usageOf(reply) })}\n\n`);
  }
  out.push("data: [DONE]\n\n");
  return out;
}

/** Answers one chat-completions request body (already JSON). */
export function chatCompletion(json: unknown): Response {
  const parsed = chatRequest.safeParse(json);
  if (!parsed.success) return invalidBody(parsed.error, "chat completions request");
  const req = parsed.data;
  const question = ask(req);
  if (question instanceof Response) return question;
  const reply = answer(question);
  const id = `chatcmpl-mock${question.seed}`;
  const created = nowSeconds();
  if (req.stream !== true) return Response.json(completion(req, reply, id, created));
  return eventStream(chunks(req, reply, id, created));
}
