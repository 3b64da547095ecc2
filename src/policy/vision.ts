import { GatewayError } from "../errors";

/**
 * Image input, recognised in either API's shape so that one walk of any body finds it: OpenAI Chat
 * `{"type": "image_url", …}` parts, Responses API `{"type": "input_image", …}` parts, and Anthropic
 * `{"type": "image", "source": …}` blocks (at any depth, so inside `tool_result` content too).
 * Anthropic's block needs its `source`: `"type": "image"` alone is too common a word to refuse on.
 */
export function isImagePart(node: Record<string, unknown>): boolean {
  const type = node.type;
  if (type === "image_url" || type === "input_image") return true;
  return type === "image" && typeof node.source === "object" && node.source !== null;
}

/**
 * Whether a key accepts image input, and what decided it: the key's own `"vision"` when its config
 * sets one, else the gateway-wide default (`ENABLE_VISION`).
 */
export function visionSetting(
  keyVision: boolean | null,
  gatewayDefault: boolean,
): { allowed: boolean; from: "key" | "gateway" } {
  return keyVision === null ? { allowed: gatewayDefault, from: "gateway" } : { allowed: keyVision, from: "key" };
}

/** The 400 for an image on a key that leaves `vision` unset while the gateway's ENABLE_VISION is false. */
export function visionOffByDefault(param: string, vkId: string): GatewayError {
  return new GatewayError(
    "invalid_request_error",
    "vision_disabled",
    `Image input is off for this key: its config does not set "vision", and this gateway's default, ENABLE_VISION, is false; ${param || "the body"} is an image. ` +
      `Send the request without images, or ask the key's owner to set "vision": true in the key's config ` +
      `(\`faregate vk update ${vkId} --config-json '{"vision":true}'\`), or an operator to set ENABLE_VISION=true for the whole gateway.`,
    { param: param || null },
  );
}
