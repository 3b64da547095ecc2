import { completion, streamFrames } from "./openai";
import type { ChatDialect } from "./worker";

/**
 * Google Gemini's OpenAI-compatible chat completions as the fake provider speaks them, at
 * /v1beta/openai/chat/completions: OpenAI's format, the key as `Authorization: Bearer`, and errors in
 * Google's shape, a JSON array holding one `{"error": {"code", "message", "status"}}`.
 */

export const GEMINI_CHAT_PATH = "/v1beta/openai/chat/completions";

/** gRPC status names Google pairs with HTTP statuses. */
function googleStatus(status: number): string {
  if (status === 400) return "INVALID_ARGUMENT";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 404) return "NOT_FOUND";
  if (status === 429) return "RESOURCE_EXHAUSTED";
  if (status === 503) return "UNAVAILABLE";
  if (status === 504) return "DEADLINE_EXCEEDED";
  return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
}

export const geminiError = (status: number, message = `Fake Gemini error with status ${status}`) => [
  { error: { code: status, message, status: googleStatus(status) } },
];

export const GEMINI_CHAT: ChatDialect = {
  rejects(request) {
    if (/^Bearer \S+$/.test(request.headers.get("authorization") ?? "")) return null;
    return Response.json(geminiError(401, "Missing or malformed Authorization: Bearer <API key> (fake Gemini)."), {
      status: 401,
    });
  },
  completion,
  streamFrames,
  error: (status) => geminiError(status),
};
