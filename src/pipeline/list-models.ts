import type { KeyBundle } from "../contract/bundle";
import { errorResponse, GatewayError } from "../errors";
import { createLogger, type Logger } from "../lib/log";
import { compiledRulesFor } from "../policy/compiled-rules";
import { modelRefusal } from "../policy/model-access";
import { authenticate } from "./authenticate";
import type { RequestContext } from "./context";
import { resolveModel } from "./resolve-model";
import { type ModelTarget } from "../contract/model-target";

/**
 * GET /v1/models: exactly the names this key can call, in OpenAI's list shape, or in Anthropic's when
 * the request carries `anthropic-version` (what the Anthropic SDK's `models.list()` sends).
 *
 * A name is listed only when a request naming it would pass model resolution and the key's
 * `models_allowed` and `policy_rules.models`; it is owned by the binding that request would go to
 * first. The names, in this order, first one wins:
 * 1. the key's aliases (they win in resolution too);
 * 2. the exact entries of `models_allowed` (not the `*` prefixes, which name no model);
 * 3. every model a binding of the chain declares (`models`);
 * 4. the model each alias points at.
 * An exact model that its bare name would not reach (`openai-main/gpt-4o` on a key whose bare `gpt-4o`
 * goes to a binding the key may not use) is listed as `provider/model`. Bindings that declare no
 * models serve anything, so on their own they add nothing here: an allowlist of exact ids, or
 * aliases, is what makes their models visible.
 * A policy pattern that does not compile makes this a 503, as it does every request of the key.
 */

export interface ListedModel {
  id: string;
  /** The binding a request naming `id` goes to first. */
  owner: string;
}

export interface ModelList {
  object: "list";
  data: { id: string; object: "model"; created: number; owned_by: string }[];
}

/** Anthropic's `ModelInfo`, as @anthropic-ai/sdk types it; what the gateway cannot know is null. */
interface AnthropicModel {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
  capabilities: null;
  deprecated_at: null;
  lifecycle: "active";
  line: null;
  max_input_tokens: null;
  max_tokens: null;
  retires_at: null;
}

/** Anthropic's list page: the SDK pages on `has_more` with `after_id` = `last_id` (or `before_id` = `first_id`). */
export interface AnthropicModelPage {
  data: AnthropicModel[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** Anthropic's default and largest page sizes for GET /v1/models. */
const ANTHROPIC_DEFAULT_LIMIT = 20;
const ANTHROPIC_MAX_LIMIT = 1000;
/** The gateway knows no release dates: Anthropic's convention for an unknown one is the epoch. */
const UNKNOWN_RELEASE = new Date(0).toISOString();

export function reachableModels(bundle: KeyBundle, log: Logger = createLogger({ vk_id: bundle.vk.id })): ListedModel[] {
  const rules = compiledRulesFor(bundle, log)?.models ?? null;
  const permitted = (t: ModelTarget) => modelRefusal(t, bundle.config.models_allowed, rules) === null;
  /** The binding a request naming `name` would go to first, or null when it would not be served. */
  const servedBy = (name: string): string | null => resolvedTargets(bundle, name).find(permitted)?.binding.name ?? null;
  const listed = new Map<string, string>();
  const add = (name: string) => {
    if (listed.has(name)) return;
    const owner = servedBy(name);
    if (owner !== null) listed.set(name, owner);
  };
  /** A target the key may use, listed by its bare id when that reaches it, else as `provider/model`. */
  const addTarget = (target: ModelTarget) => {
    if (!permitted(target)) return;
    const bare = target.model;
    if (listed.has(bare) || servedBy(bare) !== null) return add(bare);
    add(`${target.binding.name}/${bare}`);
  };

  const aliases = Object.keys(bundle.config.model_aliases);
  for (const alias of aliases) add(alias);
  for (const entry of bundle.config.models_allowed ?? []) {
    if (entry.endsWith("*")) continue;
    const slash = entry.indexOf("/");
    const binding = slash > 0 ? bundle.providers.find((b) => b.name === entry.slice(0, slash)) : undefined;
    if (binding) addTarget({ binding, model: entry.slice(slash + 1) });
    else add(entry);
  }
  for (const binding of bundle.providers) for (const model of binding.models) addTarget({ binding, model });
  for (const alias of aliases) for (const target of resolvedTargets(bundle, alias)) addTarget(target);
  return [...listed].map(([id, owner]) => ({ id, owner }));
}

/** The targets a name resolves to; none when it resolves nowhere (resolution's 400). */
function resolvedTargets(bundle: KeyBundle, name: string): ModelTarget[] {
  try {
    return resolveModel(bundle, name);
  } catch (err) {
    if (err instanceof GatewayError && err.type === "invalid_request_error") return [];
    throw err;
  }
}

/** OpenAI's list shape. */
export function openAIModelList(models: ListedModel[]): ModelList {
  return { object: "list", data: models.map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.owner })) };
}

export function listModels(bundle: KeyBundle, log?: Logger): ModelList {
  return openAIModelList(reachableModels(bundle, log));
}

const badParam = (param: string, message: string) =>
  new GatewayError("invalid_request_error", "invalid_request", message, { param });

/** Anthropic's paging: `limit` (1–1000, default 20), and at most one of `after_id` / `before_id`. */
export function anthropicModelPage(models: ListedModel[], query: URLSearchParams): AnthropicModelPage {
  const rawLimit = query.get("limit");
  let limit = ANTHROPIC_DEFAULT_LIMIT;
  if (rawLimit !== null) {
    limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= ANTHROPIC_MAX_LIMIT)) {
      throw badParam("limit", `limit must be a whole number from 1 to ${ANTHROPIC_MAX_LIMIT}, got "${rawLimit}".`);
    }
  }
  const after = query.get("after_id");
  const before = query.get("before_id");
  if (after !== null && before !== null) {
    throw badParam("before_id", "Send after_id or before_id, not both: they page in opposite directions.");
  }
  const ids = models.map((m) => m.id);
  const at = (param: string, id: string): number => {
    const index = ids.indexOf(id);
    if (index < 0) {
      throw badParam(
        param,
        `${param} "${id}" is not a model of this key's list; page with the first_id or last_id of a page.`,
      );
    }
    return index;
  };
  let start = 0;
  let end: number;
  if (after !== null) {
    start = at("after_id", after) + 1;
    end = Math.min(ids.length, start + limit);
  } else if (before !== null) {
    end = at("before_id", before);
    start = Math.max(0, end - limit);
  } else {
    end = Math.min(ids.length, limit);
  }
  const page = ids.slice(start, end);
  return {
    data: page.map((id) => ({
      type: "model",
      id,
      display_name: id,
      created_at: UNKNOWN_RELEASE,
      capabilities: null,
      deprecated_at: null,
      lifecycle: "active",
      line: null,
      max_input_tokens: null,
      max_tokens: null,
      retires_at: null,
    })),
    has_more: before !== null ? start > 0 : end < ids.length,
    first_id: page[0] ?? null,
    last_id: page[page.length - 1] ?? null,
  };
}

/**
 * The route: authenticate, then the list in the shape the client speaks. A client that sent
 * `anthropic-version` gets its errors in Anthropic's envelope too.
 */
export async function modelsRoute(ctx: RequestContext, headers: Headers, query: URLSearchParams): Promise<Response> {
  const anthropic = headers.has("anthropic-version");
  try {
    const bundle = await authenticate(ctx, headers);
    const models = reachableModels(bundle, ctx.log);
    return Response.json(anthropic ? anthropicModelPage(models, query) : openAIModelList(models));
  } catch (err) {
    if (anthropic && err instanceof GatewayError) return errorResponse(err, "anthropic");
    throw err;
  }
}
