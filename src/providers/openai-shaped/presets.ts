import { AZURE } from "./azure";
import { GEMINI } from "./gemini";
import type { OpenAIShapedPreset } from "./preset";

/**
 * Every provider whose API is OpenAI's, declared by its API root and whether it needs a key.
 * `openai-compatible` has no default root: its binding names one (Ollama, vLLM, LiteLLM, …).
 */
const OPENAI_SHAPED: Record<string, OpenAIShapedPreset> = {
  openai: { baseUrl: "https://api.openai.com/v1", keyRequired: true, endpoints: ["embeddings", "responses"] },
  azure: AZURE,
  gemini: GEMINI,
  // Groq, DeepSeek and xAI have no embeddings API: their bindings are skipped for /v1/embeddings.
  groq: { baseUrl: "https://api.groq.com/openai/v1", keyRequired: true, endpoints: [] },
  mistral: { baseUrl: "https://api.mistral.ai/v1", keyRequired: true, endpoints: ["embeddings"] },
  deepseek: { baseUrl: "https://api.deepseek.com/v1", keyRequired: true, endpoints: [] },
  together: { baseUrl: "https://api.together.xyz/v1", keyRequired: true, endpoints: ["embeddings"] },
  fireworks: { baseUrl: "https://api.fireworks.ai/inference/v1", keyRequired: true, endpoints: ["embeddings"] },
  openrouter: { baseUrl: "https://openrouter.ai/api/v1", keyRequired: true, endpoints: ["embeddings"] },
  xai: { baseUrl: "https://api.x.ai/v1", keyRequired: true, endpoints: [] },
  "openai-compatible": { baseUrl: null, keyRequired: false, endpoints: ["embeddings", "responses"] },
};

/** The preset of an OpenAI-shaped binding type, or undefined (own keys only: "toString" is no preset). */
export const presetFor = (type: string): OpenAIShapedPreset | undefined =>
  Object.hasOwn(OPENAI_SHAPED, type) ? OPENAI_SHAPED[type] : undefined;
