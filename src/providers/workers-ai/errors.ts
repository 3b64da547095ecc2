/**
 * What an error thrown by `env.AI.run` means, as an HTTP status and an OpenAI error envelope, so the
 * gateway treats it like any provider's error answer: 429, 404, 408 and 5xx move on to the next
 * binding; other 4xx are the client's and pass through (translated for Anthropic clients).
 *
 * The binding throws plain errors (`InferenceUpstreamError`, `AiError`, …) whose message carries
 * Workers AI's internal code, `"3040: Capacity temporarily exceeded"`, and no status. Codes map to the
 * status Workers AI documents for them, with one change: "no such model" (5007) is a 404 here, not a
 * 400, because another binding of the chain may well serve the model. Without a known code the
 * message decides: capacity and rate words are a 429, input validation words a 400, and anything
 * else (upstream failures included) a 502.
 */

/** Workers AI's internal error codes and the statuses they stand for. */
const CODE_STATUS: Record<number, number> = {
  5007: 404, // no such model or task (documented as 400; see above)
  5004: 400, // invalid data
  3039: 400, // fine-tune missing required files
  3003: 400, // incomplete request
  5006: 400, // input validation failed (not in the published table; seen in the binding's messages)
  5018: 403, // account not allowed to use a private model
  5016: 403, // model agreement not accepted
  3023: 403, // service unavailable for the account
  3041: 403, // account not allowed to use a private model
  5019: 405, // deprecated SDK version
  5005: 405, // the model does not support LoRA
  3042: 404, // invalid model id
  3006: 413, // request too large
  3007: 408, // timeout
  3008: 408, // aborted
  3036: 429, // daily free allocation used up
  3040: 429, // out of capacity
};

const CAPACITY = /capacity|overloaded|rate.?limit|too many requests|neurons/i;
const BAD_INPUT =
  /bad input|invalid input|invalid data|required propert|not met|must (be|have|match)|validation|malformed/i;

export interface WorkersAIErrorAnswer {
  status: number;
  body: { error: { message: string; type: string; param: null; code: string | null } };
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** The internal code on the error (`code`) or in its message (`"3040: …"`, possibly after a prefix). */
function internalCode(err: unknown, message: string): number | null {
  const own = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const fromOwn = typeof own === "number" ? own : typeof own === "string" ? Number.parseInt(own, 10) : NaN;
  if (Number.isInteger(fromOwn) && fromOwn in CODE_STATUS) return fromOwn;
  for (const m of message.matchAll(/(?:^|[^\d])(\d{4}):/g)) {
    const code = Number(m[1]);
    if (code in CODE_STATUS) return code;
  }
  return null;
}

function statusFor(code: number | null, name: string, message: string): number {
  if (code !== null) return CODE_STATUS[code] ?? 502;
  const text = `${name} ${message}`;
  if (CAPACITY.test(text)) return 429;
  if (BAD_INPUT.test(text)) return 400;
  return 502;
}

const TYPES: Record<number, string> = { 400: "invalid_request_error", 404: "not_found_error", 429: "rate_limit_error" };

/** What the gateway asked `run` for: a chat answer (text generation) or embeddings. */
export type WorkersAITask = "chat" | "embeddings";

/** A model of the task, to name in advice. */
const EXAMPLE_MODEL: Record<WorkersAITask, string> = {
  chat: "@cf/meta/llama-3.1-8b-instruct",
  embeddings: "@cf/baai/bge-base-en-v1.5",
};

/** What to tell the client (or the next attempt's log) to do about it. */
function advice(status: number, task: WorkersAITask): string {
  if (status === 429 || status >= 500 || status === 408) return "Retry later, or add another provider to the chain.";
  if (status === 404) return `Check the model id (Workers AI names models like ${EXAMPLE_MODEL[task]}).`;
  if (status === 403) return "Check the Cloudflare account's access to this model.";
  if (task === "embeddings") {
    // A text-generation model refuses `{ text }` as invalid input: the likeliest mistake on this route.
    return `Check that the model is a Workers AI text-embeddings model (such as ${EXAMPLE_MODEL.embeddings}), which takes { text }, and the request's parameters against its input schema.`;
  }
  return "Check the request's parameters against the model's input schema.";
}

/**
 * An error thrown by `env.AI.run(model, …)` as the status and OpenAI error body the gateway handles;
 * `task` shapes the advice.
 */
export function workersAIErrorAnswer(err: unknown, model: string, task: WorkersAITask = "chat"): WorkersAIErrorAnswer {
  const message = messageOf(err);
  const name = err instanceof Error ? err.name : "";
  const code = internalCode(err, message);
  const status = statusFor(code, name, message);
  const type = TYPES[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  const said = name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message;
  return {
    status,
    body: {
      error: {
        message: `Workers AI could not run ${model} (${said}). ${advice(status, task)}`,
        type,
        param: null,
        code: code !== null ? `workers_ai_${code}` : null,
      },
    },
  };
}
