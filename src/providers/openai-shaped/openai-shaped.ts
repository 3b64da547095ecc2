import type { ProviderBinding } from "../../contract/bundle";
import type { OutgoingBody } from "../../contract/wire";
import { bindingApiKey, endpoint, requireApiKey } from "../binding-key";
import { proxyUrl, sendProxied } from "../proxy-request";
import type { CallContext, ProviderFamily } from "../types";
import { presetFor } from "./presets";

/**
 * The family of every provider whose API is OpenAI's (the presets in presets.ts): declared, not
 * coded; a preset's hooks cover the providers that differ only in URL or auth.
 */

/** The headers that carry the binding's key by its preset (none for a keyless server that has no key). */
function authHeaders(binding: ProviderBinding, env: Env): Record<string, string> {
  const preset = presetFor(binding.type);
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
    const preset = presetFor(binding.type);
    const url = preset?.chatCompletionsUrl
      ? preset.chatCompletionsUrl(binding, body.json.model)
      : endpoint(binding, "/chat/completions", preset?.baseUrl);
    return post(binding, url, body, ctx);
  },
  openAIEndpoints: {
    serves: (name, binding) => presetFor(binding.type)?.endpoints?.includes(name) ?? false,
    send(name, binding, body, ctx) {
      const preset = presetFor(binding.type);
      const url = preset?.endpointUrl
        ? preset.endpointUrl(name, binding, body.json.model)
        : endpoint(binding, `/${name}`, preset?.baseUrl);
      const model = preset?.endpointModel?.(name, binding, body.json.model) ?? body.json.model;
      return post(binding, url, model === body.json.model ? body : withModel(body, model), ctx);
    },
  },
  /** The path goes under the binding's API root (for azure, the resource endpoint), its own path not repeated, with the preset's auth. */
  proxy: {
    send(binding, request, ctx) {
      const url = proxyUrl(binding, request, presetFor(binding.type)?.baseUrl);
      return sendProxied(url, request, authHeaders(binding, ctx.env), ctx.signal);
    },
  },
};
