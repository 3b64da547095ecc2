import type { DroppedParams } from "./notes";

/**
 * Reports every top-level parameter the translation did not carry over. Absent and null values say
 * nothing and are not reported; `noOps` names values that ask for the target's default behaviour anyway
 * (OpenAI `n: 1`), which need no note either.
 */
export function reportUnhandled(
  body: Record<string, unknown>,
  handled: ReadonlySet<string>,
  noOps: Readonly<Record<string, (value: unknown) => boolean>>,
  dropped: DroppedParams,
): void {
  for (const [key, value] of Object.entries(body)) {
    if (handled.has(key) || value === null || value === undefined) continue;
    if (noOps[key]?.(value)) continue;
    dropped.add(key);
  }
}
