/**
 * A depth-first walk of a parsed JSON value in document order, without recursion (a deeply nested
 * body cannot overflow the stack). Paths are built only when asked for (`pathOf`), so a walk that
 * finds nothing allocates no strings.
 */

/** A node of the walk: its value and how it was reached. */
export interface JsonStep {
  value: unknown;
  parent: JsonStep | null;
  key: string | number | null;
}

export interface JsonVisitor {
  /** Every object (not arrays), before its members. Return true to stop the walk. */
  object?(node: Record<string, unknown>, at: JsonStep): boolean;
  /** Every string: member values, array elements, and member names (`at.key` is the name). Return true to stop. */
  string?(text: string, at: JsonStep): boolean;
}

export function walkJson(root: unknown, visitor: JsonVisitor): void {
  const stack: JsonStep[] = [{ value: root, parent: null, key: null }];
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    const value = step.value;
    if (typeof value === "string") {
      if (visitor.string?.(value, step)) return;
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i] as unknown, parent: step, key: i });
      continue;
    }
    const node = value as Record<string, unknown>;
    if (visitor.object?.(node, step)) return;
    const keys = Object.keys(node);
    if (visitor.string) {
      for (const key of keys) if (visitor.string(key, { value: key, parent: step, key })) return;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: node[key], parent: step, key });
    }
  }
}

/** `messages[0].content[1].image_url.url`; the root is the empty string. */
export function pathOf(step: JsonStep): string {
  const keys: (string | number)[] = [];
  for (let s: JsonStep | null = step; s !== null; s = s.parent) if (s.key !== null) keys.push(s.key);
  let path = "";
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string | number;
    path += typeof key === "number" ? `[${key}]` : path === "" ? key : `.${key}`;
  }
  return path;
}
