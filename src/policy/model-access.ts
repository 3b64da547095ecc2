import type { CompiledDimension, VkConfig } from "../contract/vk-config";
import type { ModelTarget } from "../contract/model-target";
import { judge, type RuleRefusal } from "./rule-match";

/**
 * Which targets (binding + concrete model) a key may call: `models_allowed` and
 * `policy_rules.models`, each matched against the model bare and as `provider/model` (docs/api.md, Virtual key config).
 */

export type ModelRefusal =
  { rule: "models_allowed"; entries: string[] } | ({ rule: "policy_rules.models" } & RuleRefusal);

/** The two names a target goes by: `gpt-4o-mini` and `openai-main/gpt-4o-mini`. */
export function modelForms(target: ModelTarget): [string, string] {
  return [target.model, `${target.binding.name}/${target.model}`];
}

/** An allowlist entry is an exact id, or a prefix when it ends in `*` (`claude-*`, `openai-main/*`, `*`). */
function entryMatches(entry: string, name: string): boolean {
  return entry.endsWith("*") ? name.startsWith(entry.slice(0, -1)) : name === entry;
}

export function modelRefusal(
  target: ModelTarget,
  modelsAllowed: VkConfig["models_allowed"],
  rules: CompiledDimension | null,
): ModelRefusal | null {
  const forms = modelForms(target);
  if (modelsAllowed !== null && !modelsAllowed.some((entry) => forms.some((name) => entryMatches(entry, name)))) {
    return { rule: "models_allowed", entries: modelsAllowed };
  }
  const refused = rules === null ? null : judge(rules, forms);
  return refused === null ? null : { rule: "policy_rules.models", ...refused };
}

/** The targets the key may call, in chain order, and why the first refused one was refused. */
export function permittedTargets(
  targets: readonly ModelTarget[],
  modelsAllowed: VkConfig["models_allowed"],
  rules: CompiledDimension | null,
): { allowed: ModelTarget[]; firstRefused: { target: ModelTarget; refusal: ModelRefusal } | null } {
  const allowed: ModelTarget[] = [];
  let firstRefused: { target: ModelTarget; refusal: ModelRefusal } | null = null;
  for (const target of targets) {
    const refusal = modelRefusal(target, modelsAllowed, rules);
    if (refusal === null) allowed.push(target);
    else firstRefused ??= { target, refusal };
  }
  return { allowed, firstRefused };
}
