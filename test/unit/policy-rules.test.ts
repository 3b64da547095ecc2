import { describe, expect, it } from "vitest";
import { compilePolicyRules, type CompiledDimension } from "../../src/contract/vk-config";
import { GatewayError } from "../../src/errors";
import { clearCompiledRules, compiledRulesFor, hasPolicyRules } from "../../src/policy/compiled-rules";
import { judge, restricts } from "../../src/policy/rule-match";
import { bundleWith, recordingLogger } from "./policy-fixtures";

/** `policy_rules` semantics (contract §5) and the per-revision cache of compiled patterns. */

function dimension(allow: string[] | null, deny: string[]): CompiledDimension {
  const compiled = compilePolicyRules(bundleWith({ policy_rules: { tools: { allow, deny } } }).config);
  if (!compiled.ok) throw new Error(compiled.failure.error);
  return compiled.rules.tools;
}

describe("judge", () => {
  it("refuses on any deny match, naming the pattern", () => {
    const d = dimension(null, ["^shell\\.", "rm"]);
    expect(judge(d, ["shell.exec"])).toEqual({ list: "deny", pattern: "^shell\\." });
    expect(judge(d, ["safe_rm_tool"])).toEqual({ list: "deny", pattern: "rm" });
    expect(judge(d, ["search"])).toBeNull();
  });

  it("with an allow list, refuses what no allow pattern matches, listing the patterns", () => {
    const d = dimension(["^get_", "^search$"], []);
    expect(judge(d, ["get_weather"])).toBeNull();
    expect(judge(d, ["search"])).toBeNull();
    expect(judge(d, ["search_all"])).toEqual({ list: "allow", patterns: ["^get_", "^search$"] });
  });

  it("an empty allow list refuses everything; a null one allows everything", () => {
    expect(judge(dimension([], []), ["anything"])).toEqual({ list: "allow", patterns: [] });
    expect(judge(dimension(null, []), ["anything"])).toBeNull();
    expect(restricts({ allow: [], deny: [] })).toBe(true);
    expect(restricts({ allow: null, deny: [] })).toBe(false);
  });

  it("deny wins over allow", () => {
    const d = dimension(["^get_"], ["secret"]);
    expect(judge(d, ["get_secret"])).toEqual({ list: "deny", pattern: "secret" });
  });

  it("matches anywhere unless the pattern anchors itself", () => {
    expect(judge(dimension(null, ["exec"]), ["shell.exec.now"])).not.toBeNull();
    expect(judge(dimension(null, ["^exec$"]), ["shell.exec.now"])).toBeNull();
    expect(judge(dimension(null, ["^exec$"]), ["exec"])).not.toBeNull();
  });

  it("a value in several forms is refused when any form matches a deny pattern, allowed when any matches an allow one", () => {
    const d = dimension(["^main/"], ["^gpt-4o$"]);
    expect(judge(d, ["gpt-4o", "main/gpt-4o"])).toEqual({ list: "deny", pattern: "^gpt-4o$" });
    expect(judge(d, ["o3", "main/o3"])).toBeNull();
    expect(judge(d, ["o3", "other/o3"])).toEqual({ list: "allow", patterns: ["^main/"] });
  });

  it("runs catastrophic-backtracking patterns in linear time on a 100 000-character input", () => {
    const d = dimension(["(a+)+$", "^(a|a)*$", "(x+x+)+y"], []);
    const input = `${"a".repeat(100_000)}!`;
    expect(judge(d, [input])).toEqual({ list: "allow", patterns: ["(a+)+$", "^(a|a)*$", "(x+x+)+y"] });
    expect(judge(d, ["a".repeat(100_000)])).toBeNull();
    expect(judge(dimension(null, ["(x+x+)+y"]), ["x".repeat(100_000)])).toBeNull();
  });
});

describe("compiledRulesFor", () => {
  it("is null for a key without rules, and compiles nothing", () => {
    const log = recordingLogger();
    const bundle = bundleWith({});
    expect(hasPolicyRules(bundle.config)).toBe(false);
    expect(compiledRulesFor(bundle, log)).toBeNull();
    expect(log.records).toEqual([]);
  });

  it("compiles once per key and revision, and again when the revision changes", () => {
    const log = recordingLogger();
    const bundle = bundleWith({ policy_rules: { tools: { deny: ["^shell\\."] } } });
    const first = compiledRulesFor(bundle, log);
    expect(first).not.toBeNull();
    expect(compiledRulesFor({ ...bundle }, log)).toBe(first);
    const edited = { ...bundle, revision: "2.1.1.", config: { ...bundle.config } };
    expect(compiledRulesFor(edited, log)).not.toBe(first);
    expect(log.records).toEqual([]);
  });

  it("fails closed on a pattern that does not compile: compile_failed once, then broken on each request, until a new revision", () => {
    clearCompiledRules();
    const log = recordingLogger();
    const bundle = bundleWith({ policy_rules: { urls: { deny: ["ok", "a(b"] } } });
    for (let i = 0; i < 3; i++) {
      let thrown: unknown;
      try {
        compiledRulesFor(bundle, log);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      const err = thrown as GatewayError;
      expect(err.status).toBe(503);
      expect(err).toMatchObject({ type: "service_unavailable", code: "policy_rules_invalid" });
      expect(err.message).toContain("policy_rules.urls.deny[1]");
      expect(err.message).toContain(bundle.vk.id);
    }
    expect(log.records.map((r) => [r.level, r.event])).toEqual([
      ["warn", "policy_rules_compile_failed"],
      ["warn", "policy_rules_broken"],
      ["warn", "policy_rules_broken"],
    ]);
    expect(log.records[0]?.fields).toMatchObject({ dimension: "urls", list: "deny", index: 1, pattern: "a(b" });
    expect(String(log.records[0]?.fields.error)).toContain("missing closing )");
    expect(log.records[1]?.fields).toMatchObject({ dimension: "urls", pattern: "a(b" });

    const fixed = bundleWith({ policy_rules: { urls: { deny: ["ok"] } } });
    const repaired = { ...bundle, revision: "2.1.1.", config: fixed.config };
    expect(compiledRulesFor(repaired, log)?.urls.deny).toHaveLength(1);
    expect(log.records).toHaveLength(3);
  });
});
