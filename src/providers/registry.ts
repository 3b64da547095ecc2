import type * as z from "zod";
import type { CatalogueName } from "../pricing/catalogue";
import { anthropic } from "./anthropic/anthropic";
import { bedrock } from "./bedrock/bedrock";
import { bedrockSettingsSchema } from "./bedrock/settings";
import { mock } from "./mock/mock";
import { azureSettingsSchema } from "./openai-shaped/azure";
import { openAICompatible } from "./openai-shaped/openai-shaped";
import type { ProviderFamily } from "./types";
import { workersAISettingsSchema } from "./workers-ai/binding";
import { workersAI } from "./workers-ai/workers-ai";

/** What the gateway knows about one binding type (docs/api.md, provider bindings). */
export interface ProviderEntry {
  /** The family that calls a binding of this type. */
  family: ProviderFamily;
  /** The schema its `settings` must pass (checked when a binding is written and used); null: any object. */
  settings: z.ZodType | null;
  /** Set when the API root cannot be guessed, so the binding must give `base_url`: what to give. */
  baseUrlRequired: string | null;
  /** Where its models' prices come from (src/pricing/catalogue.ts); null: only the binding's own prices. */
  catalogue: CatalogueName | null;
}

const entry = (family: ProviderFamily, catalogue: CatalogueName | null, more: Partial<ProviderEntry> = {}) => ({
  family,
  catalogue,
  settings: null,
  baseUrlRequired: null,
  ...more,
});

/** Every binding type, in the order the admin API and the CLI list them. Adding a type is adding a row. */
export const PROVIDERS = {
  openai: entry(openAICompatible, "openai"),
  azure: entry(openAICompatible, "azure", {
    settings: azureSettingsSchema,
    baseUrlRequired: "the resource endpoint, e.g. https://my-resource.openai.azure.com",
  }),
  anthropic: entry(anthropic, "anthropic"),
  gemini: entry(openAICompatible, "google"),
  bedrock: entry(bedrock, "amazon-bedrock", { settings: bedrockSettingsSchema }),
  "workers-ai": entry(workersAI, "cloudflare-workers-ai", { settings: workersAISettingsSchema }),
  groq: entry(openAICompatible, "groq"),
  mistral: entry(openAICompatible, "mistral"),
  deepseek: entry(openAICompatible, "deepseek"),
  together: entry(openAICompatible, "togetherai"),
  fireworks: entry(openAICompatible, "fireworks-ai"),
  openrouter: entry(openAICompatible, "openrouter"),
  xai: entry(openAICompatible, "xai"),
  // Any server that speaks OpenAI's API (Ollama, vLLM, LiteLLM, …): no catalogue, prices from the binding.
  "openai-compatible": entry(openAICompatible, null, {
    baseUrlRequired: "the API root to call, e.g. https://llm.example.com/v1",
  }),
  // The built-in development provider (ENVIRONMENT=development only); free.
  mock: entry(mock, null),
} as const satisfies Record<string, ProviderEntry>;

export type ProviderType = keyof typeof PROVIDERS;

export const PROVIDER_TYPES = Object.keys(PROVIDERS) as [ProviderType, ...ProviderType[]];

/** The entry of a binding type, or null for a type the gateway does not know (own keys only: "toString" is none). */
export function providerEntry(type: string): ProviderEntry | null {
  return Object.hasOwn(PROVIDERS, type) ? PROVIDERS[type as ProviderType] : null;
}

/** Binding type → the family that calls it. */
export const familyFor = (type: string): ProviderFamily | null => providerEntry(type)?.family ?? null;
