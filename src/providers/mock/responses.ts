import * as z from "zod";
import { answer, digest, type Ask, type LastTurn, type Reply, type ToolChoice, type ToolSpec } from "./model";
import { tokenPieces } from "./tokens";
import { contentText, eventStream, invalidBody, mockError, nowSeconds } from "./wire";

/**
 * OpenAI's Responses API as the mock provider answers it: a `response` object whose `output` is one
 * message or the function calls, or with `stream` its events in OpenAI's order (`response.created`,
 * `response.in_progress`, each output item added, its content or arguments as deltas and done, then
 * `response.completed`, or `response.incomplete` when `max_output_tokens` cut the answer), every one
 * with its `sequence_number`. The mock keeps no responses: `previous_response_id` is refused.
 */

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1, "must be a non-empty name"),
  parameters: z.unknown().optional(),
});

const inputItem = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.unknown().optional(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
  output: z.unknown().optional(),
});

const responsesRequest = z.looseObject({
  model: z.string().min(1, "must be a non-empty model name"),
  input: z.union([z.string(), z.array(inputItem)], { error: "must be a string or an array of input items" }),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  tools: z.array(z.looseObject({ type: z.string() }), { error: "must be an array of tool objects" }).nullish(),
  tool_choice: z
    .union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), name: z.string().optional() })], {
      error: 'must be "none", "auto", "required" or an object such as {"type":"function","name":…}',
    })
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z
    .looseObject({
      format: z
        .looseObject({ type: z.string(), name: z.string().optional(), schema: z.unknown().optional() })
        .nullish(),
    })
    .nullish(),
  previous_response_id: z.string().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

type ResponsesRequest = z.infer<typeof responsesRequest>;
type InputItem = z.infer<typeof inputItem>;

function toolSpecs(req: ResponsesRequest): ToolSpec[] | Response {
  const out: ToolSpec[] = [];
  for (const [i, t] of (req.tools ?? []).entries()) {
    if (t.type !== "function") continue;
    const parsed = functionTool.safeParse(t);
    if (!parsed.success) return invalidBody(parsed.error, "Responses request", ["tools", i]);
    out.push({ name: parsed.data.name, parameters: parsed.data.parameters });
  }
  return out;
}

function toolChoice(req: ResponsesRequest): ToolChoice {
  const c = req.tool_choice;
  if (c === "none" || c === "required") return { kind: c };
  if (typeof c === "object" && c !== null && c.type === "function" && c.name) return { kind: "named", name: c.name };
  return { kind: "auto" };
}

const items = (req: ResponsesRequest): InputItem[] =>
  typeof req.input === "string" ? [{ role: "user", content: req.input }] : req.input;

function lastTurn(req: ResponsesRequest): LastTurn {
  const all = items(req);
  const final = all[all.length - 1];
  if (final?.type === "function_call_output") {
    const call = all.find((i) => i.type === "function_call" && i.call_id !== undefined && i.call_id === final.call_id);
    return { kind: "tool", name: call?.name ?? null, text: contentText(final.output) };
  }
  for (let i = all.length - 1; i >= 0; i--) {
    const item = all[i];
    if (item?.role === "user") return { kind: "user", text: contentText(item.content) };
  }
  return { kind: "user", text: "" };
}

function promptTexts(req: ResponsesRequest): string[] {
  const texts = [req.instructions ?? ""];
  for (const item of items(req)) {
    texts.push(contentText(item.content), item.name ?? "", item.arguments ?? "", contentText(item.output));
  }
  for (const t of req.tools ?? []) texts.push(JSON.stringify(t));
  return texts;
}

function ask(req: ResponsesRequest): Ask | Response {
  if (req.previous_response_id) {
    return mockError(
      400,
      "The mock provider keeps no responses, so previous_response_id cannot be used with it: send the whole conversation in input.",
      "previous_response_id",
    );
  }
  const tools = toolSpecs(req);
  if (tools instanceof Response) return tools;
  const choice = toolChoice(req);
  if ((choice.kind === "required" || choice.kind === "named") && tools.length === 0) {
    return mockError(400, "tool_choice asks for a function call, but tools offers no function.", "tool_choice");
  }
  if (choice.kind === "named" && !tools.some((t) => t.name === choice.name)) {
    return mockError(400, `tool_choice names the function "${choice.name}", which is not in tools.`, "tool_choice");
  }
  const format = req.text?.format;
  return {
    promptTexts: promptTexts(req),
    last: lastTurn(req),
    tools,
    toolChoice: choice,
    parallelToolCalls: req.parallel_tool_calls !== false,
    maxTokens: req.max_output_tokens ?? null,
    stop: [],
    format:
      format?.type === "json_schema"
        ? { kind: "json_schema", schema: format.schema ?? {} }
        : format?.type === "json_object"
          ? { kind: "json_object" }
          : { kind: "text" },
    seed: digest(JSON.stringify(req)),
  };
}

interface OutputText {
  type: "output_text";
  text: string;
  annotations: [];
  logprobs: [];
}

type OutputItem =
  | {
      id: string;
      type: "message";
      status: "in_progress" | "completed" | "incomplete";
      role: "assistant";
      content: [OutputText];
    }
  | {
      id: string;
      type: "function_call";
      status: "in_progress" | "completed";
      arguments: string;
      call_id: string;
      name: string;
    };

function outputItems(reply: Reply, seed: string): OutputItem[] {
  if (reply.kind === "tools") {
    return reply.calls.map((c, i) => ({
      id: `fc_${seed.slice(0, 16)}${i}`,
      type: "function_call",
      status: "completed",
      arguments: c.arguments,
      call_id: c.id,
      name: c.name,
    }));
  }
  const status = reply.finish === "length" ? "incomplete" : "completed";
  return [
    {
      id: `msg_${seed}`,
      type: "message",
      status,
      role: "assistant",
      content: [{ type: "output_text", text: reply.text, annotations: [], logprobs: [] }],
    },
  ];
}

const incomplete = (reply: Reply) => reply.kind === "text" && reply.finish === "length";

/** The response object: in progress (no output, no usage yet) or finished. */
function responseObject(req: ResponsesRequest, reply: Reply, seed: string, created: number, done: boolean) {
  const status = !done ? "in_progress" : incomplete(reply) ? "incomplete" : "completed";
  return {
    id: `resp_${seed}`,
    object: "response",
    created_at: created,
    status,
    background: false,
    error: null,
    incomplete_details: done && incomplete(reply) ? { reason: "max_output_tokens" } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    output: done ? outputItems(reply, seed) : [],
    parallel_tool_calls: req.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: req.temperature ?? 1,
    text: { format: req.text?.format ?? { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: "disabled",
    usage: done
      ? {
          input_tokens: reply.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: reply.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: reply.promptTokens + reply.outputTokens,
        }
      : null,
    user: null,
    metadata: req.metadata ?? {},
  };
}

function events(req: ResponsesRequest, reply: Reply, seed: string, created: number): string[] {
  let sequence = 0;
  const out: string[] = [];
  const emit = (type: string, fields: object) =>
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`);
  const started = responseObject(req, reply, seed, created, false);
  emit("response.created", { response: started });
  emit("response.in_progress", { response: started });
  outputItems(reply, seed).forEach((item, output_index) => {
    if (item.type === "function_call") {
      emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } });
      for (const delta of tokenPieces(item.arguments)) {
        emit("response.function_call_arguments.delta", { item_id: item.id, output_index, delta });
      }
      emit("response.function_call_arguments.done", {
        item_id: item.id,
        output_index,
        name: item.name,
        arguments: item.arguments,
      });
      emit("response.output_item.done", { output_index, item });
      return;
    }
    const [part] = item.content;
    const at = { item_id: item.id, output_index, content_index: 0 };
    emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } });
    emit("response.content_part.added", { ...at, part: { ...part, text: "" } });
    for (const delta of reply.kind === "text" ? reply.pieces : []) {
      emit("response.output_text.delta", { ...at, delta, logprobs: [] });
    }
    emit("response.output_text.done", { ...at, text: part.text, logprobs: [] });
    emit("response.content_part.done", { ...at, part });
    emit("response.output_item.done", { output_index, item });
  });
  const finished = responseObject(req, reply, seed, created, true);
  emit(finished.status === "incomplete" ? "response.incomplete" : "response.completed", { response: finished });
  return out;
}

/** Answers one Responses API request body (already JSON). */
export function responsesAnswer(json: unknown): Response {
  const parsed = responsesRequest.safeParse(json);
  if (!parsed.success) return invalidBody(parsed.error, "Responses request");
  const req = parsed.data;
  const question = ask(req);
  if (question instanceof Response) return question;
  const reply = answer(question);
  const created = nowSeconds();
  if (req.stream !== true) return Response.json(responseObject(req, reply, question.seed, created, true));
  return eventStream(events(req, reply, question.seed, created));
}
