import type { ProviderBinding } from "../../contract/bundle";
import { GatewayError } from "../../errors";
import { createLogger } from "../../lib/log";
import { estimatePromptTokens } from "../../lib/estimate-tokens";
import { openAIToWorkersAIEmbeddings } from "./embeddings-request";
import { openAIEmbeddings, readWorkersAIEmbeddings } from "./embeddings-response";
import { workersAIErrorAnswer } from "./errors";
import type { CallContext } from "../types";
import type { RequestBody } from "../../contract/wire";
import { aiBinding, jsonAnswer, unreadableAnswer } from "./binding";

/**
 * POST /v1/embeddings on a `workers-ai` binding: the OpenAI body as `run(model, { text })`
 * (translate/workers-ai-embeddings-request.ts), the vectors back as OpenAI's embeddings answer
 * (translate/workers-ai-embeddings-response.ts).
 *
 * A request no Workers AI model can take (token-id input, `dimensions`) throws the 400 GatewayError
 * naming the field before any call, which dispatch counts like a failed translation: the next binding
 * of the chain is tried, and the 400 is the answer when none can serve. Errors `run` throws are
 * classified like the chat path's (translate/workers-ai-errors.ts); output that is not one vector per
 * text is a 502, so the next binding is tried.
 *
 * Usage: Workers AI's embedding models report none, so unless the output carries `usage`, the prompt
 * tokens are the gateway's estimate (pipeline/estimate-tokens.ts, over the texts), logged as
 * `workers_ai_usage_estimated`, so that the ledger and budgets never record zero for real work.
 */
export async function sendEmbeddings(binding: ProviderBinding, body: RequestBody, ctx: CallContext): Promise<Response> {
  const { body: call, dropped } = openAIToWorkersAIEmbeddings(body);
  const ai = aiBinding(binding, ctx.env);
  const log = ctx.log ?? createLogger();
  if (dropped.length > 0) {
    log.info("translation_dropped_params", { provider: binding.name, model: body.model, dropped: dropped.join("; ") });
  }
  let result: unknown;
  try {
    result = await ai.run(body.model, call.inputs, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw err; // the gateway's timeout or the client: dispatch tells which
    const answer = workersAIErrorAnswer(err, body.model, "embeddings");
    return jsonAnswer(answer.body, answer.status);
  }
  let read: ReturnType<typeof readWorkersAIEmbeddings>;
  try {
    read = readWorkersAIEmbeddings(result, call.texts.length);
  } catch (err) {
    if (err instanceof GatewayError) return unreadableAnswer(err.message);
    throw err;
  }
  let promptTokens = read.promptTokens;
  if (promptTokens === null) {
    promptTokens = estimatePromptTokens(call.texts);
    log.info("workers_ai_usage_estimated", {
      provider: binding.name,
      model: body.model,
      estimated_prompt_tokens: promptTokens,
    });
  }
  return jsonAnswer(openAIEmbeddings(read.vectors, { model: body.model, encoding: call.encoding, promptTokens }));
}
