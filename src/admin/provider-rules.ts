import { providerEntry } from "../providers/registry";
import { invalidField } from "./errors";
import { validate } from "./validation";

/** The rules that span several provider fields, checked on the binding as it will be stored. */

export interface ProviderShape {
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  /** Whether a key will be stored encrypted after this write. */
  has_api_key: boolean;
  settings: Record<string, unknown>;
}

export function checkProviderShape(p: ProviderShape, environment: string): void {
  const provider = providerEntry(p.type);
  const baseUrlNeeded = provider?.baseUrlRequired;
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
  if (provider?.settings) validate(provider.settings, p.settings, ["settings"]);
  if (p.type === "mock" && environment !== "development") {
    throw invalidField("type", 'The "mock" provider exists only when ENVIRONMENT=development.');
  }
}
