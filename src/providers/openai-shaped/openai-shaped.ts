import type { ProviderBinding } from "../../control-plane/bundles";
import { AZURE } from "./azure";
import { GEMINI } from "./gemini";
import { sendProxied } from "../proxy-request";
import {
  BindingMisconfigured,
  type CallContext,
  type OpenAIEndpoint,
  type OutgoingBody,
  type ProviderFamily,
} from "../types";

/** How one OpenAI-shaped provider is reached. The hooks serve providers that differ only in URL or auth. */
export interface OpenAIShapedPreset {
  /** The API root when the binding names none; null: the binding must give `base_url`. */
  baseUrl: string | null;
  keyRequired: boolean;
  /** Where chat completions for `model` go; by default `{root}/chat/completions`. May throw BindingMisconfigured. */
  chatCompletionsUrl?: (binding: ProviderBinding, model: string) => string;
  /** The headers that carry the key; by default `Authorization: Bearer <key>`. */
  authHeaders?: (key: string) => Record<string, string>;
  /** OpenAI's other endpoints the provider serves, as its own API documents them; by default none. */
  endpoints?: readonly OpenAIEndpoint[];
  /** Where `endpoint` requests for `model` go; by default `{root}/{endpoint}`. May throw BindingMisconfigured. */
  endpointUrl?: (endpoint: OpenAIEndpoint, binding: ProviderBinding, model: string) => string;
  /** The `model` an `endpoint` request's body must name (Azure's Responses API: the deployment); by default `model`. */
  endpointModel?: (endpoint: OpenAIEndpoint, binding: ProviderBinding, model: string) => string;
}

/**
 * Every provider whose API is OpenAI's, declared by its API root and whether it needs a key.
 * `openai-compatible` has no default root: its binding names one (Ollama, vLLM, LiteLLM, …).
 */
export const OPENAI_SHAPED: Record<string, OpenAIShapedPreset> = {
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

/** The binding's API key: the one stored (encrypted) with the binding, else the Worker secret it names. */
export function bindingApiKey(binding: ProviderBinding, env: Env): string | null {
  if (binding.apiKey) return binding.apiKey;
  if (!binding.apiKeySecret) return null;
  const value: unknown = (env as unknown as Record<string, unknown>)[binding.apiKeySecret];
  return typeof value === "string" && value !== "" ? value : null;
}

/** `path` under the binding's API root, or under `defaultRoot` when the binding names none. */
export function endpoint(binding: ProviderBinding, path: string, defaultRoot: string | null | undefined): string {
  const root = binding.baseUrl ?? defaultRoot;
  if (!root) throw new BindingMisconfigured(`binding ${binding.name} (${binding.type}) has no base_url`);
  return `${root.replace(/\/+$/, "")}${path}`;
}

/** The binding's key, or a BindingMisconfigured that says how to give it one. */
export function requireApiKey(binding: ProviderBinding, env: Env): string {
  const key = bindingApiKey(binding, env);
  if (key) return key;
  throw new BindingMisconfigured(
    binding.apiKeySecret
      ? `binding ${binding.name} has no API key: set the Worker secret ${binding.apiKeySecret}`
      : `binding ${binding.name} has no API key: give it api_key or api_key_secret with PATCH /admin/v1/providers/${binding.name}`,
  );
}

/** The headers that carry the binding's key by its preset (none for a keyless server that has no key). */
function authHeaders(binding: ProviderBinding, env: Env): Record<string, string> {
  const preset = OPENAI_SHAPED[binding.type];
  const key = preset?.keyRequired ? requireApiKey(binding, env) : bindingApiKey(binding, env);
  if (!key) return {};
  return preset?.authHeaders ? preset.authHeaders(key) : { authorization: `Bearer ${key}` };
}

/** The body with another `model`, re-serialised. */
function withModel(body: OutgoingBody, model: string): OutgoingBody {
  const json = { ...body.json, model };
  return { json, bytes: JSON.stringify(json) };
}

/** POSTs the body to `url` with the preset's auth. */
function post(binding: ProviderBinding, url: string, body: OutgoingBody, ctx: CallContext): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: body.json.stream ? "text/event-stream" : "application/json",
    ...authHeaders(binding, ctx.env),
  };
  return fetch(url, { method: "POST", headers, body: body.bytes, signal: ctx.signal });
}

export const openAICompatible: ProviderFamily = {
  format: "openai-chat",
  send(binding, body: OutgoingBody, ctx: CallContext) {
    const preset = OPENAI_SHAPED[binding.type];
    const url = preset?.chatCompletionsUrl
      ? preset.chatCompletionsUrl(binding, body.json.model)
      : endpoint(binding, "/chat/completions", preset?.baseUrl);
    return post(binding, url, body, ctx);
  },
  openAIEndpoints: {
    serves: (name, binding) => OPENAI_SHAPED[binding.type]?.endpoints?.includes(name) ?? false,
    send(name, binding, body, ctx) {
      const preset = OPENAI_SHAPED[binding.type];
      const url = preset?.endpointUrl
        ? preset.endpointUrl(name, binding, body.json.model)
        : endpoint(binding, `/${name}`, preset?.baseUrl);
      const model = preset?.endpointModel?.(name, binding, body.json.model) ?? body.json.model;
      return post(binding, url, model === body.json.model ? body : withModel(body, model), ctx);
    },
  },
  /** The path goes under the binding's API root (for azure, the resource endpoint) with the preset's auth. */
  proxy: {
    send(binding, request, ctx) {
      const url = endpoint(binding, `${request.path}${request.query}`, OPENAI_SHAPED[binding.type]?.baseUrl);
      return sendProxied(url, request, authHeaders(binding, ctx.env), ctx.signal);
    },
  },
};
