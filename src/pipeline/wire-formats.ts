import type { WireFormat } from "../contract/wire";
import { readResponsesUsage } from "../providers/responses-usage";
import { readAnthropicUsage, readOpenAIUsage } from "../providers/usage";
import { type TokenUsage } from "../contract/usage";
import { tapAnthropicStream } from "../sse/anthropic-stream";
import type { StreamOutcome, TapControls } from "../sse/event-tap";
import { tapOpenAIStream } from "../sse/openai-stream";
import { tapResponsesStream } from "../sse/responses-stream";

/** What the pipeline needs of each wire format: reading a JSON answer's usage, and tapping its stream. */
export interface WireFormatHandling {
  readUsage(json: unknown): TokenUsage | null;
  /** `hideUsageChunk`: the gateway asked for a usage chunk the client did not (OpenAI only). */
  tap(upstream: ReadableStream<Uint8Array>, controls: TapControls, hideUsageChunk: boolean): ReadableStream<Uint8Array>;
}

export const WIRE_FORMATS: Record<WireFormat, WireFormatHandling> = {
  "openai-chat": {
    readUsage: readOpenAIUsage,
    tap: (upstream, controls, hideUsageChunk) => tapOpenAIStream(upstream, { ...controls, hideUsageChunk }),
  },
  "anthropic-messages": {
    readUsage: readAnthropicUsage,
    tap: (upstream, controls) => tapAnthropicStream(upstream, controls),
  },
  // Embeddings are never streamed (the route refuses `stream`); their usage is chat's `prompt_tokens`.
  "openai-embeddings": {
    readUsage: readOpenAIUsage,
    tap: (upstream, controls) => tapOpenAIStream(upstream, { ...controls, hideUsageChunk: false }),
  },
  "openai-responses": {
    readUsage: readResponsesUsage,
    tap: (upstream, controls) => tapResponsesStream(upstream, controls),
  },
};

export type { StreamOutcome };
