import type { CompiledDimension } from "../contract/vk-config";

/**
 * One `policy_rules` dimension judging one value (docs/api.md, Virtual key config): any `deny` match refuses it, and a
 * non-null `allow` refuses it unless one of its patterns matches. A value may come in several forms
 * (a model bare and as `provider/model`); a pattern matching any form counts.
 *
 * RE2JS `test` is an unanchored search ("find anywhere"; a pattern anchors itself with `^`/`$`), run
 * by RE2's automata, so it is linear in the input whatever the pattern.
 */

export type RuleRefusal =
  /** A deny pattern matched: deny wins over allow. */
  | { list: "deny"; pattern: string }
  /** An allow list is set and none of its patterns matched. */
  | { list: "allow"; patterns: string[] };

export function judge(dimension: CompiledDimension, forms: readonly string[]): RuleRefusal | null {
  for (const re of dimension.deny) if (forms.some((f) => re.test(f))) return { list: "deny", pattern: re.pattern() };
  if (dimension.allow === null) return null;
  for (const re of dimension.allow) if (forms.some((f) => re.test(f))) return null;
  return { list: "allow", patterns: dimension.allow.map((re) => re.pattern()) };
}

/** Whether a dimension as written restricts anything (a deny pattern, or an allow list, even empty). */
export function restricts(dimension: { allow: readonly unknown[] | null; deny: readonly unknown[] }): boolean {
  return dimension.deny.length > 0 || dimension.allow !== null;
}
