import type { GatewayConfig } from "../config";
import type { KeyBundle } from "../contract/bundle";
import type { CompiledDimension } from "../contract/vk-config";
import type { GatewayError } from "../errors";
import { compiledRulesFor } from "../policy/compiled-rules";
import { mcpServerNames, toolNames, type FoundValue } from "../policy/extract-values";
import { findUrls } from "../policy/find-urls";
import { permittedTargets } from "../policy/model-access";
import { modelNotAllowed, valueNotAllowed, visionDisabled } from "../policy/policy-errors";
import { judge, restricts } from "../policy/rule-match";
import { isImagePart, visionOffByDefault, visionSetting } from "../policy/vision";
import { pathOf, walkJson, type JsonStep } from "../policy/walk-json";
import type { RequestContext } from "./context";
import type { ModelTarget } from "../contract/model-target";

/**
 * Stage 4: policy, after the model is resolved and before limits, so a refused request costs no
 * counters. In order: models (`models_allowed`, `policy_rules.models`), tools, MCP servers, URLs,
 * vision. Returns the targets the key may call, in chain order; refused targets are dropped, and
 * when none remains the request is a 403 naming the rule that refused the first.
 *
 * It reads any JSON body (it is also what `/proxy` calls, with zero targets or more). A key with no
 * allowlist, no rules and vision on costs one look at its config: the body is not walked. Otherwise
 * the body is walked at most once, for URLs and images together. Vision is the key's `"vision"` when
 * its config sets one, else the gateway's ENABLE_VISION.
 */
export function enforcePolicy(
  ctx: Pick<RequestContext, "log" | "meta"> & { config: Pick<GatewayConfig, "enableVision"> },
  bundle: KeyBundle,
  request: { body: unknown; targets: ModelTarget[] },
): ModelTarget[] {
  const config = bundle.config;
  const rules = compiledRulesFor(bundle, ctx.log);
  const vision = visionSetting(config.vision, ctx.config.enableVision);
  if (config.models_allowed === null && rules === null && vision.allowed) return request.targets;
  const vkId = bundle.vk.id;

  const targets = checkModels(ctx, bundle, request.targets, rules?.models ?? null);
  if (rules !== null && restricts(rules.tools)) checkNames("tools", toolNames(request.body), rules.tools, vkId);
  if (rules !== null && restricts(rules.mcp)) checkNames("mcp", mcpServerNames(request.body), rules.mcp, vkId);
  const urls = rules !== null && restricts(rules.urls) ? rules.urls : null;
  const error = scanBody(request.body, urls, vision, vkId);
  if (error !== null) throw error;
  return targets;
}

function checkModels(
  ctx: Pick<RequestContext, "log" | "meta">,
  bundle: KeyBundle,
  targets: ModelTarget[],
  rules: CompiledDimension | null,
): ModelTarget[] {
  if (bundle.config.models_allowed === null && (rules === null || !restricts(rules))) return targets;
  const { allowed, firstRefused } = permittedTargets(targets, bundle.config.models_allowed, rules);
  if (firstRefused === null) return targets;
  if (allowed.length === 0) throw modelNotAllowed(firstRefused.target, firstRefused.refusal, bundle.vk.id);
  ctx.log.debug("policy_targets_dropped", { dropped: targets.length - allowed.length, kept: allowed.length });
  ctx.meta.model = allowed[0]?.model;
  return allowed;
}

function checkNames(dimension: "tools" | "mcp", values: FoundValue[], rules: CompiledDimension, vkId: string): void {
  for (const { value, param } of values) {
    const refusal = judge(rules, [value]);
    if (refusal !== null) throw valueNotAllowed(dimension, value, param, refusal, vkId);
  }
}

/**
 * One walk for URLs (when `urls` restricts anything) and images (when vision is off). A refused URL
 * stops the walk at once; an image is remembered and refused after the walk, since URLs come first.
 */
function scanBody(
  body: unknown,
  urls: CompiledDimension | null,
  setting: ReturnType<typeof visionSetting>,
  vkId: string,
): GatewayError | null {
  const vision = setting.allowed;
  if (urls === null && vision) return null;
  const found: { image: JsonStep | null; refused: GatewayError | null } = { image: null, refused: null };
  walkJson(body, {
    object: (node, at) => {
      if (vision || found.image !== null || !isImagePart(node)) return false;
      found.image = at;
      return urls === null; // with no URL rules, the first image is all there is to find
    },
    string:
      urls === null
        ? undefined
        : (text, at) => {
            for (const url of findUrls(text)) {
              const refusal = judge(urls, [url]);
              if (refusal === null) continue;
              found.refused = valueNotAllowed("urls", url, pathOf(at), refusal, vkId);
              return true;
            }
            return false;
          },
  });
  if (found.refused !== null) return found.refused;
  if (found.image === null) return null;
  const param = pathOf(found.image);
  return setting.from === "key" ? visionDisabled(param, vkId) : visionOffByDefault(param, vkId);
}
