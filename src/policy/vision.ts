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
