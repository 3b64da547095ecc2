import type { ProviderBinding } from "../control-plane/bundles";
import { BindingMisconfigured, type CallContext, type ChatBody, type ProviderFamily } from "./types";

/**
 * Every provider whose API is OpenAI's, declared by its API root and whether it needs a key.
 * `openai-compatible` has no default root: its binding names one (Ollama, vLLM, LiteLLM, …).
 */
export const OPENAI_SHAPED: Record<string, { baseUrl: string | null; keyRequired: boolean }> = {
  openai: { baseUrl: "https://api.openai.com/v1", keyRequired: true },
  groq: { baseUrl: "https://api.groq.com/openai/v1", keyRequired: true },
  mistral: { baseUrl: "https://api.mistral.ai/v1", keyRequired: true },
  deepseek: { baseUrl: "https://api.deepseek.com/v1", keyRequired: true },
  together: { baseUrl: "https://api.together.xyz/v1", keyRequired: true },
  fireworks: { baseUrl: "https://api.fireworks.ai/inference/v1", keyRequired: true },
  openrouter: { baseUrl: "https://openrouter.ai/api/v1", keyRequired: true },
  xai: { baseUrl: "https://api.x.ai/v1", keyRequired: true },
  "openai-compatible": { baseUrl: null, keyRequired: false },
};

/** The binding's API key: the one stored (encrypted) with the binding, else the Worker secret it names. */
export function bindingApiKey(binding: ProviderBinding, env: Env): string | null {
  if (binding.apiKey) return binding.apiKey;
  if (!binding.apiKeySecret) return null;
  const value: unknown = (env as unknown as Record<string, unknown>)[binding.apiKeySecret];
  return typeof value === "string" && value !== "" ? value : null;
}

function endpoint(binding: ProviderBinding, path: string): string {
  const preset = OPENAI_SHAPED[binding.type];
  const root = binding.baseUrl ?? preset?.baseUrl;
  if (!root) throw new BindingMisconfigured(`binding ${binding.name} (${binding.type}) has no base_url`);
  return `${root.replace(/\/+$/, "")}${path}`;
}

export const openAICompatible: ProviderFamily = {
  chatCompletions(binding, body: ChatBody, ctx: CallContext) {
    const key = bindingApiKey(binding, ctx.env);
    if (!key && OPENAI_SHAPED[binding.type]?.keyRequired) {
      throw new BindingMisconfigured(
        binding.apiKeySecret
          ? `binding ${binding.name} has no API key: set the Worker secret ${binding.apiKeySecret}`
          : `binding ${binding.name} has no API key: give it api_key or api_key_secret with PATCH /admin/v1/providers/${binding.name}`,
      );
    }
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: body.stream ? "text/event-stream" : "application/json",
    };
    if (key) headers.authorization = `Bearer ${key}`;
    return fetch(endpoint(binding, "/chat/completions"), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: ctx.signal,
    });
  },
};
