import type * as z from "zod";
import { anthropic } from "./anthropic/anthropic";
import { azureSettingsSchema } from "./openai-shaped/azure";
import { bedrock } from "./bedrock/bedrock";
import { bedrockSettingsSchema } from "./bedrock/settings";
import { mock } from "./mock/mock";
import { OPENAI_SHAPED, openAICompatible } from "./openai-shaped/openai-shaped";
import type { ProviderFamily } from "./types";
import { workersAI, workersAISettingsSchema } from "./workers-ai/workers-ai";

/** Binding type → the family that calls it. */
export function familyFor(type: string): ProviderFamily | null {
  if (type in OPENAI_SHAPED) return openAICompatible;
  if (type === "anthropic") return anthropic;
  if (type === "bedrock") return bedrock;
  if (type === "workers-ai") return workersAI;
  if (type === "mock") return mock;
  return null;
}

/** Binding type → the schema its `settings` must pass (checked when a binding is written and used), if any. */
export function settingsSchemaFor(type: string): z.ZodType | null {
  if (type === "azure") return azureSettingsSchema;
  if (type === "workers-ai") return workersAISettingsSchema;
  if (type === "bedrock") return bedrockSettingsSchema;
  return null;
}
