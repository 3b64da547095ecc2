import type { ChatFormat, RequestBody } from "../contract/wire";
import type { StreamOutput } from "../sse/event-tap";
import {
  AnthropicToOpenAIStream,
  anthropicErrorToOpenAI,
  anthropicToOpenAIRequest,
  anthropicToOpenAIResponse,
  OpenAIToAnthropicStream,
  openAIErrorToAnthropic,
  openAIToAnthropicRequest,
  openAIToAnthropicResponse,
} from "../translate";

/**
 * The one place that decides how a client's wire format meets a binding's: the same format passes
 * through untouched; different formats get a translation (src/translate) of the request on the way
 * out and of the answer, the provider's error body and the stream on the way back. Everything else in
 * the pipeline asks `bridgeBetween` and never looks at the pair of formats itself.
 */

/** A client format and a binding format that differ: how to carry a request across and its answer back. */
export interface Translation {
  kind: "translate";
  /** The client's validated body as the binding's request, for `model`, and what it had to leave out. */
  request(body: RequestBody, model: string): { body: RequestBody; dropped: string[] };
  /** A successful JSON answer of the binding as the client's (throws a 502 GatewayError when malformed). */
  response(json: unknown): unknown;
  /** The binding's error body (parsed JSON, or its text) in the client's error envelope, status kept. */
  error(status: number, body: unknown): { status: number; body: unknown };
  /** A fresh stream translator writing the client's events; `includeUsage`: the client asked for usage (OpenAI). */
  stream(model: string, includeUsage: boolean): StreamOutput;
}

export type Bridge = { kind: "passthrough" } | Translation;

export const PASSTHROUGH: Bridge = { kind: "passthrough" };

/** An OpenAI chat client served by an Anthropic Messages binding. */
const OPENAI_CLIENT_ON_ANTHROPIC: Translation = {
  kind: "translate",
  request(body, model) {
    const t = openAIToAnthropicRequest(body, { model });
    return { body: t.body, dropped: t.dropped };
  },
  response: (json) => anthropicToOpenAIResponse(json),
  error: (status, body) => anthropicErrorToOpenAI(status, body),
  stream: (model, includeUsage) => new AnthropicToOpenAIStream({ model, includeUsage }),
};

/** An Anthropic Messages client served by an OpenAI chat binding; `keepCacheMarkers` for a family that reads them. */
const anthropicClientOnOpenAI = (keepCacheMarkers: boolean): Translation => ({
  kind: "translate",
  request(body, model) {
    const t = anthropicToOpenAIRequest(body, { model, includeUsage: true, keepCacheMarkers });
    // OpenAI's schema allows `stream: null`; a translated request only ever carries a boolean, or none.
    const { stream, ...rest } = t.body;
    return { body: typeof stream === "boolean" ? { ...rest, stream } : rest, dropped: t.dropped };
  },
  response: (json) => openAIToAnthropicResponse(json),
  error: (status, body) => openAIErrorToAnthropic(status, body),
  stream: (model) => new OpenAIToAnthropicStream({ model }),
});

const ANTHROPIC_CLIENT_ON_OPENAI = anthropicClientOnOpenAI(false);
const ANTHROPIC_CLIENT_ON_OPENAI_WITH_CACHE_MARKERS = anthropicClientOnOpenAI(true);

const TRANSLATIONS: Record<ChatFormat, Record<ChatFormat, Bridge>> = {
  "openai-chat": { "openai-chat": PASSTHROUGH, "anthropic-messages": OPENAI_CLIENT_ON_ANTHROPIC },
  "anthropic-messages": { "anthropic-messages": PASSTHROUGH, "openai-chat": ANTHROPIC_CLIENT_ON_OPENAI },
};

/**
 * How a request in `client`'s format reaches a binding that speaks `upstream`; `promptCacheMarkers`:
 * the binding's family reads prompt-cache markers in OpenAI bodies (`ProviderFamily.promptCacheMarkers`).
 */
export function bridgeBetween(client: ChatFormat, upstream: ChatFormat, promptCacheMarkers = false): Bridge {
  if (promptCacheMarkers && client === "anthropic-messages" && upstream === "openai-chat") {
    return ANTHROPIC_CLIENT_ON_OPENAI_WITH_CACHE_MARKERS;
  }
  return TRANSLATIONS[client][upstream];
}
