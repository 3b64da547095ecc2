import { AnthropicErrorBody } from "./schemas/anthropic";
import { errorJson, noMessage, type TranslatedError } from "./provider-error-body";

export interface OpenAIErrorOut {
  error: { type: string; code: string | null; message: string; param: null };
}

/** Anthropic error types in OpenAI's words; the Anthropic type itself stays as the `code`. */
const TYPES: Record<string, string> = {
  invalid_request_error: "invalid_request_error",
  authentication_error: "authentication_error",
  permission_error: "permission_error",
  not_found_error: "invalid_request_error",
  request_too_large: "invalid_request_error",
  rate_limit_error: "rate_limit_exceeded",
  billing_error: "insufficient_quota",
  api_error: "server_error",
  overloaded_error: "server_error",
  timeout_error: "server_error",
};

function typeForStatus(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/**
 * An Anthropic error response (`{"type":"error","error":{"type","message"}}`, parsed or as text) in
 * OpenAI's error envelope, status kept.
 */
export function anthropicErrorToOpenAI(status: number, body: unknown): TranslatedError<OpenAIErrorOut> {
  const parsed = AnthropicErrorBody.safeParse(errorJson(body));
  const kind = parsed.success ? (parsed.data.error.type ?? null) : null;
  const message = parsed.success ? parsed.data.error.message : null;
  return {
    status,
    body: {
      error: {
        type: (kind !== null ? TYPES[kind] : undefined) ?? typeForStatus(status),
        code: kind,
        message: message || noMessage(status),
        param: null,
      },
    },
  };
}
