/** A provider's error body as the parsed JSON it should be: a string body is parsed, non-JSON gives null. */
export function errorJson(body: unknown): unknown {
  if (typeof body !== "string") return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}

/** The message when a provider's error body says nothing usable. */
export const noMessage = (status: number): string =>
  `The provider answered HTTP ${status} without a readable error message. Retry, or check the provider's status.`;

/** A translated error: the provider's status, and the body in the client's envelope. */
export interface TranslatedError<B> {
  status: number;
  body: B;
}
