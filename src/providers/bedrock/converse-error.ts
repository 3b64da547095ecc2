import { ConverseErrorBody } from "./converse-schemas";
import type { OpenAIErrorOut } from "../../translate/error-to-openai";
import { errorJson, noMessage, type TranslatedError } from "../../translate/provider-error-body";

/**
 * Bedrock's errors in OpenAI's envelope. Bedrock answers `{"message": …}` and names the error in the
 * `x-amzn-ErrorType` header (`ThrottlingException:http://internal.amazon.com/…`) or the body's
 * `__type` (`com.amazon.coral.service#UnrecognizedClientException`); the bare name becomes the
 * `code`, so that the family can classify the error from the envelope alone.
 */

/** Bedrock exception names in OpenAI's words. */
const TYPES: Record<string, string> = {
  ValidationException: "invalid_request_error",
  ResourceNotFoundException: "invalid_request_error",
  AccessDeniedException: "permission_error",
  UnrecognizedClientException: "authentication_error",
  InvalidSignatureException: "authentication_error",
  ExpiredTokenException: "authentication_error",
  IncompleteSignatureException: "authentication_error",
  MissingAuthenticationTokenException: "authentication_error",
  ThrottlingException: "rate_limit_exceeded",
  ServiceQuotaExceededException: "rate_limit_exceeded",
  ModelTimeoutException: "server_error",
  ModelNotReadyException: "server_error",
  ModelErrorException: "server_error",
  ModelStreamErrorException: "server_error",
  InternalServerException: "server_error",
  ServiceUnavailableException: "server_error",
};

/**
 * The HTTP status of each exception a ConverseStream may send as an event-stream message instead of
 * an HTTP error (its `:exception-type` starts lower-case: `throttlingException`).
 */
const STREAM_EXCEPTION_STATUS: Record<string, number> = {
  ValidationException: 400,
  ThrottlingException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
};

function typeForStatus(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** The bare exception name: `ThrottlingException` from a header, a `__type` or a stream's `throttlingException`. */
export function exceptionName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const name = raw.split(":")[0]?.split("#").at(-1)?.trim() ?? "";
  return name === "" ? null : name.charAt(0).toUpperCase() + name.slice(1);
}

/** The status a stream exception stands for (500 for one this table does not know). */
export function statusForStreamException(type: string): number {
  const name = exceptionName(type);
  return (name !== null ? STREAM_EXCEPTION_STATUS[name] : undefined) ?? 500;
}

/** A Bedrock error answer (parsed JSON or text) in OpenAI's error envelope, status kept. */
export function converseErrorToOpenAI(
  status: number,
  errorTypeHeader: string | null,
  body: unknown,
): TranslatedError<OpenAIErrorOut> {
  const parsed = ConverseErrorBody.safeParse(errorJson(body));
  const code = exceptionName(errorTypeHeader) ?? (parsed.success ? exceptionName(parsed.data.__type) : null);
  const message = parsed.success ? (parsed.data.message ?? parsed.data.Message) : null;
  return {
    status,
    body: {
      error: {
        type: (code !== null ? TYPES[code] : undefined) ?? typeForStatus(status),
        code,
        message: message || noMessage(status),
        param: null,
      },
    },
  };
}
