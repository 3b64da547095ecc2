import { OpenAIErrorBody } from "./schemas/openai";
import { errorJson, noMessage, type TranslatedError } from "./provider-error-body";

export interface AnthropicErrorOut {
  type: "error";
  error: { type: string; code: string; message: string };
}

/** Anthropic's error type for an HTTP status (OpenAI-compatible servers vary in their own types). */
function typeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/**
 * An OpenAI error response (`{"error":{"message","type","code","param"}}`, parsed or as text; Google's
 * OpenAI endpoint wraps it in a one-element array) in Anthropic's error envelope, status kept. OpenAI's
 * `code` (or its type, else the Anthropic type) is kept as `code`, which the envelope always carries.
 */
export function openAIErrorToAnthropic(status: number, body: unknown): TranslatedError<AnthropicErrorOut> {
  const json = errorJson(body);
  const parsed = OpenAIErrorBody.safeParse(Array.isArray(json) && json.length === 1 ? json[0] : json);
  const error = parsed.success ? parsed.data.error : null;
  const code = error?.code ?? error?.type ?? null;
  const type =
    error?.type === "insufficient_quota" || code === "insufficient_quota" ? "billing_error" : typeForStatus(status);
  return {
    status,
    body: {
      type: "error",
      error: {
        type,
        code: String(code ?? type),
        message: error?.message || noMessage(status),
      },
    },
  };
}
