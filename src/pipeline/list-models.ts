import type { KeyBundle } from "../control-plane/bundles";

/** GET /v1/models: what this key may name, in OpenAI's list shape. */
export function listModels(bundle: KeyBundle): {
  object: "list";
  data: { id: string; object: "model"; created: number; owned_by: string }[];
} {
  const seen = new Map<string, string>();
  for (const [alias, target] of Object.entries(bundle.config.model_aliases))
    seen.set(alias, target.split("/")[0] ?? "alias");
  for (const b of bundle.providers) for (const m of b.models) if (!seen.has(m)) seen.set(m, b.name);
  return {
    object: "list",
    data: [...seen].map(([id, owner]) => ({ id, object: "model", created: 0, owned_by: owner })),
  };
}
