import { extractKey, hashSecret } from "../auth/keys";
import { resolveBundle } from "../auth/bundle-cache";
import { InvalidStoredConfig } from "../control-plane/bundles";
import { type KeyBundle } from "../contract/bundle";
import { GatewayError } from "../errors";
import type { RequestContext } from "./context";

/**
 * Stage 2: the key in the request's headers → its bundle, or 401 `invalid_api_key` saying why, or
 * 503 when the control plane cannot answer (unreachable with no usable cached bundle, or its stored
 * data for this key is invalid).
 */
export async function authenticate(ctx: RequestContext, headers: Headers): Promise<KeyBundle> {
  const found = extractKey(headers);
  if (found.kind === "missing") {
    throw new GatewayError(
      "invalid_api_key",
      "missing_key",
      "No virtual key was sent. Send it as `Authorization: Bearer lw_vk_...` (or x-api-key for Anthropic clients).",
    );
  }
  if (found.kind === "malformed") {
    throw new GatewayError(
      "invalid_api_key",
      "malformed_key",
      `The virtual key in ${found.header} is malformed: ${found.reason}.`,
    );
  }
  const hash = await hashSecret(ctx.config.pepper, found.secret);
  let bundle: KeyBundle | null;
  try {
    bundle = await resolveBundle(ctx, hash);
  } catch (err) {
    throw controlPlaneError(ctx, err);
  }
  const prefix = found.secret.slice(0, 16);
  if (!bundle) {
    throw new GatewayError(
      "invalid_api_key",
      "unknown_key",
      `The virtual key ${prefix}… is not known to this gateway. Check that you copied the whole secret, or ask for a new key.`,
    );
  }
  ctx.log.enrich({ vk_id: bundle.vk.id, project_id: bundle.project.id });
  if (bundle.vk.status === "revoked") {
    throw new GatewayError(
      "invalid_api_key",
      "revoked_key",
      `The virtual key ${prefix}… was revoked. Ask the key's owner for a new key.`,
    );
  }
  if (bundle.vk.expiresAt !== null && bundle.vk.expiresAt <= Date.now()) {
    throw new GatewayError(
      "invalid_api_key",
      "expired_key",
      `The virtual key ${prefix}… expired at ${new Date(bundle.vk.expiresAt).toISOString()}. Ask for a new key or a later expiry.`,
    );
  }
  return bundle;
}

/** Why a key could not be resolved when the answer is neither "found" nor "unknown": always a 503. */
function controlPlaneError(ctx: RequestContext, err: unknown): GatewayError {
  if (err instanceof InvalidStoredConfig) {
    ctx.log.error("auth_invalid_key_config", { vk_id: err.vkId, code: err.code, error: err.message });
    return new GatewayError(
      "service_unavailable",
      err.code,
      `This virtual key cannot be served until an operator fixes the stored configuration; retrying will not help. ${err.message}`,
    );
  }
  ctx.log.error("auth_control_plane_unreachable", { error: err instanceof Error ? err.message : String(err) });
  return new GatewayError(
    "service_unavailable",
    "control_plane_unavailable",
    "The gateway cannot reach its control plane to check this key, and holds no usable cached copy of it. Retry shortly; if it persists, check /readyz.",
  );
}
