import { anthropic } from "./anthropic";
import { mock } from "./mock";
import { OPENAI_SHAPED, openAICompatible } from "./openai-compatible";
import type { ProviderFamily } from "./types";

/** Binding type → the family that calls it. */
export function familyFor(type: string): ProviderFamily | null {
  if (type in OPENAI_SHAPED) return openAICompatible;
  if (type === "anthropic") return anthropic;
  if (type === "mock") return mock;
  return null;
}
