import { admit } from "./admit";
import { authenticate } from "./authenticate";
import { enforcePolicy } from "./check-policy";
import type { RequestContext } from "./context";
import { messagesPrompt, parseMessagesRequest } from "./parse-messages";
import { stripCacheControl } from "../cache/prompt-cache";
import { resolveTargets } from "./resolve-model";
import { serveFromChain } from "./serve-chain";

/**
 * POST /v1/messages (Anthropic Messages), stage by stage. A binding that speaks Anthropic's format
 * gets the body byte for byte unless something had to change (the model name of an alias or
 * `provider/model`, `cache_control` stripped under `cache.mode: "disable"`), with the client's
 * `anthropic-beta` header and `?beta=` query parameter, and its answer comes back untouched; an
 * OpenAI-format binding is reached through translation (format-bridge.ts), which drops the fields it
 * cannot carry with a `translation_dropped_params` note. Errors use Anthropic's envelope (errors.ts,
 * by path).
 */

/** Client headers an Anthropic upstream honours and the gateway forwards. */
const FORWARDED = ["anthropic-beta"] as const;

/** Client query parameters an Anthropic upstream honours (`?beta=true` of the SDK's beta client). */
const FORWARDED_QUERY = ["beta"] as const;

/**
 * What an Anthropic binding gets of the client's request besides the body: the forwarded headers
 * and query parameters, as the client sent them (a translated request leaves them behind).
 */
export function anthropicPassthrough(
  headers: Headers,
  query: URLSearchParams,
): { forwardHeaders: Record<string, string>; forwardQuery: Record<string, string> } {
  const forwardHeaders: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = headers.get(name);
    if (value !== null) forwardHeaders[name] = value;
  }
  const forwardQuery: Record<string, string> = {};
  for (const name of FORWARDED_QUERY) {
    const value = query.get(name);
    if (value !== null) forwardQuery[name] = value;
  }
  return { forwardHeaders, forwardQuery };
}

export async function messages(ctx: RequestContext, headers: Headers, query: URLSearchParams): Promise<Response> {
  const bundle = await authenticate(ctx, headers); // 2. key → bundle
  const parsed = parseMessagesRequest(ctx.rawBody); // 3. validate the body
  const resolved = resolveTargets(ctx, bundle, parsed.model); // 3. model → chain of targets
  const targets = enforcePolicy(ctx, bundle, { body: parsed, targets: resolved }); // 4. policy
  const admission = await admit(ctx, bundle, targets, {
    prompt: messagesPrompt(parsed),
    maxOutputTokens: parsed.max_tokens,
  }); // 5. limits and budgets
  const stripped = bundle.config.cache.mode === "disable" ? stripCacheControl(parsed) : { value: parsed, removed: 0 };
  if (stripped.removed > 0) ctx.log.debug("cache_control_stripped", { markers: stripped.removed });
  // 6–8. dispatch, respond, settle
  return serveFromChain(
    ctx,
    bundle,
    admission,
    targets,
    {
      format: "anthropic-messages",
      body: stripped.value,
      raw: stripped.removed > 0 ? null : ctx.rawBody,
      ...anthropicPassthrough(headers, query),
    },
    true,
  );
}
