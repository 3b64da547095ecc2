import * as z from "zod";
import type { ProviderBinding } from "../../contract/bundle";
import type { OpenAIShapedPreset } from "./preset";
import { BindingMisconfigured } from "../types";
import { type OpenAIEndpoint } from "../../contract/wire";

/**
 * Azure OpenAI: OpenAI's wire format behind a resource endpoint. A binding's `base_url` is the
 * resource endpoint as Azure's SDK takes it (`https://<resource>.openai.azure.com`); a request goes to
 * `{base_url}/openai/deployments/{deployment}/chat/completions?api-version={v}` with the key in the
 * `api-key` header. Everything else (body, streaming usage, errors) is OpenAI's, so Azure is one entry
 * of the OpenAI-shaped preset table with its own URL and auth hooks.
 *
 * Settings (`settings` of the binding; other keys are left to whoever reads them):
 *   api_version   the `api-version` query parameter; default AZURE_DEFAULT_API_VERSION
 *   deployments   model id → deployment name (in the URL for chat and embeddings, as the body's `model`
 *                 for the Responses API); a model not listed is its own deployment name
 */

/** The latest GA data-plane version at the time of writing; it supports `stream_options.include_usage`. */
export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

export const azureSettingsSchema = z.looseObject({
  api_version: z
    .string()
    .regex(
      /^\d{4}-\d{2}-\d{2}(-preview)?$/,
      "must be an Azure OpenAI API version such as 2024-10-21 or 2025-01-01-preview",
    )
    .optional(),
  deployments: z
    .record(
      z.string().min(1),
      z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a deployment name: 1 to 64 letters, digits, '.', '_' or '-'"),
    )
    .optional(),
});

export type AzureSettings = z.infer<typeof azureSettingsSchema>;

/** The binding's settings, or a BindingMisconfigured naming the binding and the first bad field. */
export function azureSettings(binding: ProviderBinding): AzureSettings {
  const parsed = azureSettingsSchema.safeParse(binding.settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = ["settings", ...(issue?.path ?? []).map(String)].join(".");
  const problem =
    issue?.code === "invalid_type"
      ? `must be ${issue.expected === "string" ? "a string" : "an object"}`
      : (issue?.message ?? "is not valid");
  throw new BindingMisconfigured(
    `binding ${binding.name} (azure) has an invalid ${field}: it ${problem}. Fix it with PATCH /admin/v1/providers/${binding.name}.`,
  );
}

/** The resource endpoint without trailing slashes, nor the `/openai` path some copy along with it. */
function resourceEndpoint(binding: ProviderBinding): string {
  if (!binding.baseUrl) {
    throw new BindingMisconfigured(
      `binding ${binding.name} (azure) has no base_url: set it to the resource endpoint, https://<resource>.openai.azure.com`,
    );
  }
  return binding.baseUrl.replace(/\/+$/, "").replace(/\/openai$/, "");
}

/** The deployment that serves `model`: the one `settings.deployments` maps it to, else the model id itself. */
export function azureDeployment(binding: ProviderBinding, model: string): string {
  return azureSettings(binding).deployments?.[model] ?? model;
}

export function azureChatCompletionsUrl(binding: ProviderBinding, model: string): string {
  const settings = azureSettings(binding);
  const deployment = azureDeployment(binding, model);
  const query = new URLSearchParams({ "api-version": settings.api_version ?? AZURE_DEFAULT_API_VERSION });
  return `${resourceEndpoint(binding)}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?${query.toString()}`;
}

/** The Responses API needs a preview version; used when the binding names no `api_version`. */
export const AZURE_RESPONSES_API_VERSION = "2025-04-01-preview";

/**
 * Embeddings go to the model's deployment like chat; the Responses API has one resource-wide route,
 * `{base_url}/openai/responses`, and takes the deployment as the body's `model` (`azureEndpointModel`).
 */
export function azureEndpointUrl(endpoint: OpenAIEndpoint, binding: ProviderBinding, model: string): string {
  const settings = azureSettings(binding);
  if (endpoint === "responses") {
    const query = new URLSearchParams({ "api-version": settings.api_version ?? AZURE_RESPONSES_API_VERSION });
    return `${resourceEndpoint(binding)}/openai/responses?${query.toString()}`;
  }
  const deployment = azureDeployment(binding, model);
  const query = new URLSearchParams({ "api-version": settings.api_version ?? AZURE_DEFAULT_API_VERSION });
  return `${resourceEndpoint(binding)}/openai/deployments/${encodeURIComponent(deployment)}/embeddings?${query.toString()}`;
}

/** The body's `model` for an endpoint: the Responses API names the deployment there, embeddings in the URL. */
export const azureEndpointModel = (endpoint: OpenAIEndpoint, binding: ProviderBinding, model: string): string =>
  endpoint === "responses" ? azureDeployment(binding, model) : model;

export const AZURE: OpenAIShapedPreset = {
  baseUrl: null,
  keyRequired: true,
  chatCompletionsUrl: azureChatCompletionsUrl,
  endpoints: ["embeddings", "responses"],
  endpointUrl: azureEndpointUrl,
  endpointModel: azureEndpointModel,
  authHeaders: (key) => ({ "api-key": key }),
};
