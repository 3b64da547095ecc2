import type { ProviderBinding } from "../contract/bundle";
import { BindingMisconfigured } from "./types";

/** How every family finds a binding's API root and key. */

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
