import { describe, expect, it } from "vitest";
import { compilePolicyRules, type CompiledDimension } from "../../src/contract/vk-config";
import { modelForms, modelRefusal, permittedTargets } from "../../src/policy/model-access";
import { binding, bundleWith, target } from "./policy-fixtures";

/** `models_allowed` and `policy_rules.models` against resolved targets, bare and as provider/model. */

const main = binding("main", ["gpt-4o-mini", "gpt-4o"]);
const backup = binding("backup");

function modelRules(allow: string[] | null, deny: string[]): CompiledDimension {
  const compiled = compilePolicyRules(bundleWith({ policy_rules: { models: { allow, deny } } }).config);
  if (!compiled.ok) throw new Error(compiled.failure.error);
  return compiled.rules.models;
}

describe("models_allowed", () => {
  it("null allows every model", () => {
    expect(modelRefusal(target(main, "anything"), null, null)).toBeNull();
  });

  it("matches exact ids against the bare model and against provider/model", () => {
    expect(modelForms(target(main, "gpt-4o"))).toEqual(["gpt-4o", "main/gpt-4o"]);
    expect(modelRefusal(target(main, "gpt-4o-mini"), ["gpt-4o-mini"], null)).toBeNull();
    expect(modelRefusal(target(main, "gpt-4o"), ["main/gpt-4o"], null)).toBeNull();
    expect(modelRefusal(target(backup, "gpt-4o"), ["main/gpt-4o"], null)).toEqual({
      rule: "models_allowed",
      entries: ["main/gpt-4o"],
    });
    // Exact means exact: no prefix without a star.
    expect(modelRefusal(target(main, "gpt-4o-mini"), ["gpt-4o"], null)).not.toBeNull();
  });

  it("a trailing * is a prefix, on either form; * alone allows everything", () => {
    expect(modelRefusal(target(main, "claude-sonnet-4-5"), ["claude-*"], null)).toBeNull();
    expect(modelRefusal(target(main, "o3"), ["main/*"], null)).toBeNull();
    expect(modelRefusal(target(backup, "o3"), ["main/*"], null)).not.toBeNull();
    expect(modelRefusal(target(backup, "o3"), ["*"], null)).toBeNull();
    // A star elsewhere is a literal character, not a wildcard.
    expect(modelRefusal(target(main, "gpt-4o"), ["gpt-*o"], null)).not.toBeNull();
  });

  it("an empty list allows nothing", () => {
    expect(modelRefusal(target(main, "gpt-4o"), [], null)).toEqual({ rule: "models_allowed", entries: [] });
  });
});

describe("policy_rules.models", () => {
  it("deny patterns match either form", () => {
    const rules = modelRules(null, ["^backup/"]);
    expect(modelRefusal(target(backup, "gpt-4o"), null, rules)).toEqual({
      rule: "policy_rules.models",
      list: "deny",
      pattern: "^backup/",
    });
    expect(modelRefusal(target(main, "gpt-4o"), null, rules)).toBeNull();
  });

  it("allow patterns: one match on either form suffices; deny still wins", () => {
    const rules = modelRules(["^gpt-4o"], ["-mini$"]);
    expect(modelRefusal(target(main, "gpt-4o"), null, rules)).toBeNull();
    expect(modelRefusal(target(main, "o3"), null, rules)).toMatchObject({ list: "allow", patterns: ["^gpt-4o"] });
    expect(modelRefusal(target(main, "gpt-4o-mini"), null, rules)).toMatchObject({ list: "deny", pattern: "-mini$" });
  });

  it("models_allowed is checked first, and both must pass", () => {
    const rules = modelRules(null, ["gpt"]);
    expect(modelRefusal(target(main, "o3"), ["gpt-4o"], rules)).toMatchObject({ rule: "models_allowed" });
    expect(modelRefusal(target(main, "gpt-4o"), ["gpt-4o"], rules)).toMatchObject({ rule: "policy_rules.models" });
  });
});

describe("permittedTargets", () => {
  it("drops refused targets, keeps chain order, and reports the first refusal", () => {
    const third = binding("third");
    const targets = [target(main, "gpt-4o"), target(backup, "gpt-4o"), target(third, "gpt-4o")];
    const { allowed, firstRefused } = permittedTargets(targets, ["third/*", "backup/*"], null);
    expect(allowed.map((t) => t.binding.name)).toEqual(["backup", "third"]);
    expect(firstRefused?.target.binding.name).toBe("main");
    expect(firstRefused?.refusal).toEqual({ rule: "models_allowed", entries: ["third/*", "backup/*"] });
  });

  it("keeps everything when nothing is refused", () => {
    const targets = [target(main, "gpt-4o"), target(backup, "gpt-4o")];
    expect(permittedTargets(targets, null, modelRules(null, ["^o"]))).toEqual({ allowed: targets, firstRefused: null });
  });
});
