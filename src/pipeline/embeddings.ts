import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import type { RequestContext } from "./context";
import { parseEmbeddingsRequest } from "./parse-openai-endpoints";
import { resolveTargets } from "./resolve-model";
import { serveFromChain } from "./serve-chain";

/**
 * POST /v1/embeddings (OpenAI), stage by stage. The body goes, byte for byte when the model name did
 * not change, to the first binding of the chain whose provider has an embeddings endpoint (dispatch.ts
 * skips the others with the reason), and the provider's JSON comes back untouched; a `workers-ai`
 * binding translates the request for its AI binding and answers in OpenAI's shape
 * (providers/workers-ai-embeddings.ts). Admission reserves the input's estimate and no output tokens.
 */
export async function embeddings(ctx: RequestContext, headers: Headers): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const body = parseEmbeddingsRequest(ctx.rawBody); // 3. validate the body
  const resolved = resolveTargets(ctx, bundle, body.model); // 3. model → chain of targets
  const targets = enforcePolicy(ctx, bundle, { body, targets: resolved }); // 4. policy
  const admission = await admit(ctx, bundle, targets, { prompt: [body.input], maxOutputTokens: 0 }); // 5.
  // 6–8. dispatch, respond, settle
  return serveFromChain(ctx, bundle, admission, targets, { format: "openai-embeddings", body, raw: ctx.rawBody }, true);
}
