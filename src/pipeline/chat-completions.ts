import type { ChatBody } from "../contract/wire";
import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import type { RequestContext } from "./context";
import { parseChatRequest } from "./parse-body";
import { stripCacheControl } from "../cache/prompt-cache";
import { resolveTargets } from "./resolve-model";
import { serveFromChain } from "./serve-chain";

/**
 * POST /v1/chat/completions, stage by stage. Edge guards (request id, trace, body cap, config)
 * already ran in the edge middleware. Prompt-cache markers (`cache_control` on messages, parts and
 * tools) are stripped under `cache.mode: "disable"`.
 */
export async function chatCompletions(ctx: RequestContext, headers: Headers): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const body = parseChatRequest(ctx.rawBody); // 3. validate the body
  const resolved = resolveTargets(ctx, bundle, body.model); // 3. model → chain of targets
  const targets = enforcePolicy(ctx, bundle, { body, targets: resolved }); // 4. policy
  const admission = await admit(ctx, bundle, targets, {
    prompt: body.messages,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
  }); // 5. limits and budgets
  const stripped = bundle.config.cache.mode === "disable" ? stripCacheControl(body) : { value: body, removed: 0 };
  if (stripped.removed > 0) ctx.log.debug("cache_control_stripped", { markers: stripped.removed });
  const clientAskedForUsage = body.stream_options?.include_usage === true;
  const upstream: ChatBody =
    body.stream && !clientAskedForUsage
      ? { ...stripped.value, stream_options: { ...(body.stream_options ?? {}), include_usage: true } }
      : stripped.value;
  // 6–8. dispatch, respond, settle
  return serveFromChain(
    ctx,
    bundle,
    admission,
    targets,
    // The client's own bytes go upstream when nothing had to change (as on /v1/messages).
    { format: "openai-chat", body: upstream, raw: upstream === body ? ctx.rawBody : null },
    clientAskedForUsage,
  );
}
