import * as z from "zod";
import type { DroppedParams } from "./notes";

/**
 * Prompt-cache markers across the translations: Anthropic's `cache_control: {"type": "ephemeral",
 * "ttl"?: "5m" | "1h"}` on a system block, a content block or a tool. OpenAI's API has no such
 * marker; OpenAI-shaped bodies carry Anthropic's as OpenRouter and LiteLLM take it, on a content
 * part, on a message (meaning its last part) or on a tool. A marker says "cache the prompt up to
 * and including this": Bedrock Converse writes the same thing as a `cachePoint` block after it.
 */

export const CacheControl = z.looseObject({ type: z.literal("ephemeral"), ttl: z.string().optional() });
export type CacheControl = z.infer<typeof CacheControl>;

/** The marker `carrier.cache_control` holds, if it is one. */
export function markerOf(carrier: object): CacheControl | undefined {
  const value = (carrier as { cache_control?: unknown }).cache_control;
  return value == null ? undefined : CacheControl.safeParse(value).data;
}

/** The marker on `carrier`; a `cache_control` that is no marker is noted as dropped. */
export function cacheControlOf(carrier: object, dropped: DroppedParams): CacheControl | undefined {
  const marker = markerOf(carrier);
  if (!marker && (carrier as { cache_control?: unknown }).cache_control != null) {
    dropped.add('cache_control (not {"type": "ephemeral"})');
  }
  return marker;
}

/** `{cache_control}` to spread into a block, or nothing. */
export const withCacheControl = (marker: CacheControl | undefined): { cache_control?: CacheControl } =>
  marker ? { cache_control: marker } : {};

/** The blocks with `marker` on the last one (a marker on a whole message); a marker already there is kept. */
export function markLast<T extends object>(blocks: T[], marker: CacheControl | undefined): T[] {
  const last = blocks.at(-1);
  if (!marker || !last || markerOf(last)) return blocks;
  return [...blocks.slice(0, -1), { ...last, cache_control: marker }];
}
