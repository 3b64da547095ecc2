import type { ProviderBinding } from "../../contract/bundle";
import type { OpenAIEndpoint } from "../../contract/wire";

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
