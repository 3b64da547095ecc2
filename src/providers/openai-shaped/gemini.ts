import type { OpenAIShapedPreset } from "./preset";

/**
 * Google Gemini through Google's OpenAI-compatible endpoint: chat completions in OpenAI's wire format
 * (streaming with `stream_options.include_usage` included) and embeddings under the API root below,
 * with the key as `Authorization: Bearer`. Nothing differs from the OpenAI preset but the root.
 * Google answers errors as a JSON array (`[{"error": {"code", "message", "status"}}]`); their HTTP
 * statuses follow gRPC's mapping (RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, INTERNAL 500), so the
 * generic status rule classifies them and a non-retryable one passes through unchanged.
 */

export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai";

export const GEMINI: OpenAIShapedPreset = { baseUrl: GEMINI_BASE_URL, keyRequired: true, endpoints: ["embeddings"] };
