import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import type { RequestContext } from "./context";
import { parseResponsesRequest } from "./parse-openai-endpoints";
import { resolveTargets } from "./resolve-model";
import { serveFromChain } from "./serve-chain";

/**
 * POST /v1/responses (OpenAI Responses API), stage by stage: a passthrough, streaming and not, to the
 * first binding of the chain that serves the Responses API (openai, azure, openai-compatible; dispatch.ts
 * skips the others with the reason). Usage comes from the answer's `usage`, or in a stream from the
 * `response.completed` event (src/sse/responses-stream.ts).
 */
export async function responses(ctx: RequestContext, headers: Headers): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const body = parseResponsesRequest(ctx.rawBody); // 3. validate the body
  const resolved = resolveTargets(ctx, bundle, body.model); // 3. model → chain of targets
  const targets = enforcePolicy(ctx, bundle, { body, targets: resolved }); // 4. policy
  const admission = await admit(ctx, bundle, targets, {
    prompt: body.instructions ? [body.instructions, body.input] : [body.input],
    maxOutputTokens: body.max_output_tokens ?? null,
  }); // 5. limits and budgets
  // 6–8. dispatch, respond, settle
  return serveFromChain(ctx, bundle, admission, targets, { format: "openai-responses", body, raw: ctx.rawBody }, true);
}
