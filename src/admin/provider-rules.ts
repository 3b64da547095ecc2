import { invalidField } from "./errors";

/** The rules that span several provider fields, checked on the binding as it will be stored. */

/** Types whose API root cannot be guessed: the binding must say where to call. */
const NEEDS_BASE_URL = new Set(["openai-compatible", "azure"]);

export interface ProviderShape {
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  /** Whether a key will be stored encrypted after this write. */
  has_api_key: boolean;
}

export function checkProviderShape(p: ProviderShape, environment: string): void {
  if (NEEDS_BASE_URL.has(p.type) && p.base_url === null) {
    throw invalidField(
      "base_url",
      `"base_url" is required for type ${p.type}: the API root to call, e.g. https://llm.example.com/v1.`,
    );
  }
  if (p.has_api_key && p.api_key_secret !== null) {
    throw invalidField(
      "api_key_secret",
      'Give either "api_key" (stored encrypted) or "api_key_secret" (the name of a Worker secret), not both. ' +
        "To switch, send the new one together with the other set to null.",
    );
  }
  if (p.type === "mock" && environment !== "development") {
    throw invalidField("type", 'The "mock" provider exists only when ENVIRONMENT=development.');
  }
}
