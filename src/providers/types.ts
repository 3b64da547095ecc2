import type { ChatFormat, OpenAIEndpoint, OutgoingBody } from "../contract/wire";
import type { ProviderBinding } from "../contract/bundle";
import type { Logger } from "../lib/log";

/** What a provider family needs to make one upstream call. */
export interface CallContext {
  env: Env;
  signal: AbortSignal;
  /** ENVIRONMENT=development: enables the built-in mock provider. */
  development: boolean;
  /** Client headers the family may forward (e.g. `anthropic-beta`), lower-case names. */
  forwardHeaders: Readonly<Record<string, string>>;
  /** Client query parameters the family may forward (e.g. Anthropic's `beta`); absent: none. */
  forwardQuery?: Readonly<Record<string, string>>;
  /** The request's logger (its lines carry `request_id`); absent outside a request. */
  log?: Logger;
}

/**
 * One provider family: the wire format it speaks and how to call it. Families whose API is
 * OpenAI-shaped are declared, not coded (see `openai-compatible.ts`); the others implement the same
 * interface in a module of their own.
 */
export interface ProviderFamily {
  readonly format: ChatFormat;
  /** Sends one request in `format` to the binding; returns its raw HTTP response. */
  send(binding: ProviderBinding, body: OutgoingBody, ctx: CallContext): Promise<Response>;
  /** OpenAI's other endpoints, for families whose bindings may serve them; absent: none. */
  readonly openAIEndpoints?: {
    serves(endpoint: OpenAIEndpoint, binding: ProviderBinding): boolean;
    /**
     * Sends one request to the binding's `endpoint` (which `serves` allowed): the body as it is, or as
     * the family translates it (then an answer in OpenAI's shape). May throw a 400 GatewayError for a
     * request the binding cannot take, before calling it (dispatch then tries the next binding).
     */
    send(endpoint: OpenAIEndpoint, binding: ProviderBinding, body: OutgoingBody, ctx: CallContext): Promise<Response>;
  };
  /**
   * Anthropic's token counting (`POST /v1/messages/count_tokens`) for a body in `format`, for families
   * whose API has it; absent: the gateway estimates the count for this family's bindings.
   */
  countTokens?(binding: ProviderBinding, body: OutgoingBody, ctx: CallContext): Promise<Response>;
  /**
   * Whether an error answer is worth trying on the next binding. Families without their own rule
   * use `retryableStatus`; HTML and non-JSON error bodies are retried whatever this says.
   */
  isRetryable?(status: number, body: unknown): boolean;
  /**
   * The family reads `cache_control` prompt-cache markers on the parts, messages and tools of the
   * OpenAI chat bodies it is sent (Bedrock: as cachePoints), so a request translated for it keeps
   * them; absent: translation drops them.
   */
  readonly promptCacheMarkers?: boolean;
  /** Raw passthrough (`/proxy/:provider/*`): the request as the client sent it, plus the family's auth; absent: unsupported. */
  readonly proxy?: {
    send(binding: ProviderBinding, request: ProxyRequest, ctx: CallContext): Promise<Response>;
    /** The model a raw request names in its path (`ProxyRequest.path`) rather than its body (Bedrock's `/model/{id}/…`), or null. */
    modelInPath?(path: string): string | null;
  };
}

/** One raw passthrough request, relative to the binding's API root. */
export interface ProxyRequest {
  method: string;
  /** The path below the API root, "" or starting with "/", percent-encoded as the client sent it. */
  path: string;
  /** The query string with its leading "?", or "". */
  query: string;
  /** The client headers allowed upstream (lower-case names); never the client's credentials. */
  headers: Readonly<Record<string, string>>;
  /** The body bytes as the client sent them; null for GET and HEAD. */
  body: Uint8Array | null;
}

/** The generic rule: not found, timeouts, rate limits and server errors move to the next binding. */
export const retryableStatus = (status: number): boolean =>
  status === 404 || status === 408 || status === 429 || status >= 500;

/** A provider binding that cannot be called as configured (missing key or URL, unknown type). */
export class BindingMisconfigured extends Error {
  override readonly name = "BindingMisconfigured";
}
