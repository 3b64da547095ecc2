import { settingsSchemaFor } from "../providers/registry";
import { invalidField } from "./errors";
import { validate } from "./validation";

/** The rules that span several provider fields, checked on the binding as it will be stored. */

/** Types whose API root cannot be guessed: the binding must say where to call. */
const NEEDS_BASE_URL: Record<string, string> = {
  "openai-compatible": "the API root to call, e.g. https://llm.example.com/v1",
  azure: "the resource endpoint, e.g. https://my-resource.openai.azure.com",
};

export interface ProviderShape {
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  /** Whether a key will be stored encrypted after this write. */
  has_api_key: boolean;
  settings: Record<string, unknown>;
}

export function checkProviderShape(p: ProviderShape, environment: string): void {
  const baseUrlNeeded = Object.hasOwn(NEEDS_BASE_URL, p.type) ? NEEDS_BASE_URL[p.type] : undefined;
  if (baseUrlNeeded && p.base_url === null) {
    throw invalidField("base_url", `"base_url" is required for type ${p.type}: ${baseUrlNeeded}.`);
  }
  if (p.has_api_key && p.api_key_secret !== null) {
    throw invalidField(
      "api_key_secret",
      'Give either "api_key" (stored encrypted) or "api_key_secret" (the name of a Worker secret), not both. ' +
        "To switch, send the new one together with the other set to null.",
    );
  }
  const settingsSchema = settingsSchemaFor(p.type);
  if (settingsSchema) validate(settingsSchema, p.settings, ["settings"]);
  if (p.type === "mock" && environment !== "development") {
    throw invalidField("type", 'The "mock" provider exists only when ENVIRONMENT=development.');
  }
}
